// Package gobcache keeps what a build learnt about a source (media
// headers, where a camera roll's files were found) in the user's cache
// folder, never in the source: one gob file per kind and source, written
// whole or not at all.
package gobcache

import (
	"crypto/sha1"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/iosphotofs/iosphotofs/internal/atomicfile"
)

// File is the path of a cache of kind for a source (identified by
// id) in dir; "" when dir is "" (no caching).
func File(dir, kind, id string) string {
	if dir == "" {
		return ""
	}
	sum := sha1.Sum([]byte(id))
	return filepath.Join(dir, fmt.Sprintf("%s-%x.gob", kind, sum[:8]))
}

// Load decodes a cache file into v, reporting whether it could.
func Load(path string, v any) bool {
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

// Save writes v to a cache file ("" : nowhere) through a temporary
// file, so that a crash never leaves half a cache.
func Save(path string, v any) error {
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, ".cache-", func(w io.Writer) error { return gob.NewEncoder(w).Encode(v) })
}
