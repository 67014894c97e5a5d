package index

import (
	"crypto/sha1"
	"encoding/gob"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/atomicfile"
	"io"
	"os"
	"path/filepath"

	"github.com/iosphotofs/iosphotofs/meta/media"
)

// headerCache keeps what media headers said, per file, so that a second
// mount of the same source reads no headers. It lives in the user's cache
// folder, never in the source; a file whose size or mtime changed is read
// again.
type headerCache struct {
	path    string
	entries map[string]cachedHeader // by the file's path in the tree
	changed bool
}

type cachedHeader struct {
	Size, Mtime int64
	Info        media.Info
}

// cacheVersion changes when what the header readers find changes, so old
// caches are not trusted.
const cacheVersion = 1

// openHeaderCache loads the cache of a source (identified by id, e.g. its
// absolute path and device) from dir; "" disables caching. A missing or
// unreadable cache is an empty one.
func openHeaderCache(dir, id string) *headerCache {
	c := &headerCache{path: cacheFile(dir, fmt.Sprintf("headers-v%d", cacheVersion), id)}
	if !loadGob(c.path, &c.entries) {
		c.entries = map[string]cachedHeader{}
	}
	return c
}

// cacheFile is the path of a cache of kind for a source (identified by
// id) in dir; "" when dir is "" (no caching).
func cacheFile(dir, kind, id string) string {
	if dir == "" {
		return ""
	}
	sum := sha1.Sum([]byte(id))
	return filepath.Join(dir, fmt.Sprintf("%s-%x.gob", kind, sum[:8]))
}

// loadGob decodes a cache file into v, reporting whether it could.
func loadGob(path string, v any) bool {
	if path == "" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return gob.NewDecoder(f).Decode(v) == nil
}

func (c *headerCache) get(p *photo) (media.Info, bool) {
	e, ok := c.entries[p.srcKey]
	if !ok || e.Size != p.node.Size || e.Mtime != p.node.Mtime {
		return media.Info{}, false
	}
	return e.Info, true
}

func (c *headerCache) put(p *photo) {
	c.entries[p.srcKey] = cachedHeader{Size: p.node.Size, Mtime: p.node.Mtime, Info: p.header}
	c.changed = true
}

// save writes the cache if it changed.
func (c *headerCache) save() error {
	if !c.changed {
		return nil
	}
	return saveGob(c.path, c.entries)
}

// saveGob writes v to a cache file ("" : nowhere) through a temporary
// file, so that a crash never leaves half a cache.
func saveGob(path string, v any) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, ".cache-", func(w io.Writer) error { return gob.NewEncoder(w).Encode(v) })
}
