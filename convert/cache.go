package convert

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"github.com/iosphotofs/iosphotofs/internal/atomicfile"
	"github.com/iosphotofs/iosphotofs/internal/private"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Cache keeps converted files on disk, never in the source: one file per
// key (a hash of the source file's identity, the quality and the encoder
// version), and a ".failed" note with the reason for a file that could not
// be converted. It is bounded by size: when it grows past its limit the
// files used longest ago go first (a use touches a file's mtime).
type Cache struct {
	dir   string
	limit int64
	temp  bool // dir is ours, removed by Close

	mu   sync.Mutex
	size int64 // bytes in dir, -1 until counted
}

// OpenCache opens (making it) the cache in dir, bounded to limit bytes;
// with dir "" the cache lives in a private temporary folder until Close.
func OpenCache(dir string, limit int64) (*Cache, error) {
	c := &Cache{dir: dir, limit: limit, size: -1}
	if dir == "" {
		tmp, err := private.Dir("jpeg")
		if err != nil {
			return nil, err
		}
		c.dir, c.temp = tmp, true
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return c, nil
}

// Close removes a temporary cache.
func (c *Cache) Close() error {
	if c.temp {
		return os.RemoveAll(c.dir)
	}
	return nil
}

// Key names a conversion: what identifies the source file, and how it
// is converted.
func Key(parts ...string) string {
	h := sha1.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) path(key string) string { return filepath.Join(c.dir, key+".jpg") }

// Lookup says what the cache knows of key: the converted file's size, or
// why it could not be made.
func (c *Cache) Lookup(key string) (size int64, failed string, ok bool) {
	if fi, err := os.Stat(c.path(key)); err == nil {
		return fi.Size(), "", true
	}
	if b, err := os.ReadFile(filepath.Join(c.dir, key+".failed")); err == nil {
		return 0, strings.TrimSpace(string(b)), true
	}
	return 0, "", false
}

// Open opens a converted file and marks it used.
func (c *Cache) Open(key string) (*os.File, error) {
	p := c.path(key)
	now := time.Now()
	os.Chtimes(p, now, now) // for eviction only: a failure changes nothing else
	return os.Open(p)
}

// Put stores a converted file (through a temporary name, so a reader
// never sees half of one) and evicts what the limit requires.
func (c *Cache) Put(key string, data []byte) error {
	if err := c.write(c.path(key), data); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size >= 0 {
		c.size += int64(len(data))
	}
	if c.size < 0 || c.size > c.limit {
		c.evict(key)
	}
	return nil
}

// PutFailure remembers why key could not be converted.
func (c *Cache) PutFailure(key, reason string) error {
	return c.write(filepath.Join(c.dir, key+".failed"), []byte(reason+"\n"))
}

func (c *Cache) write(p string, data []byte) error {
	return atomicfile.Write(p, ".part-", func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// evict counts the cache and, past the limit, removes the files used
// longest ago (never keep, just written) until it is at 90% of it. Must
// hold c.mu.
func (c *Cache) evict(keep string) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".jpg") {
			continue
		}
		if fi, err := e.Info(); err == nil {
			files = append(files, file{e.Name(), fi.Size(), fi.ModTime()})
			total += fi.Size()
		}
	}
	if total > c.limit {
		slices.SortFunc(files, func(a, b file) int { return cmp.Or(a.used.Compare(b.used), strings.Compare(a.name, b.name)) })
		for _, f := range files {
			if total <= c.limit*9/10 {
				break
			}
			if f.name == keep+".jpg" || os.Remove(filepath.Join(c.dir, f.name)) != nil {
				continue
			}
			total -= f.size
		}
	}
	c.size = total
}
