package index

import (
	"fmt"

	"github.com/iosphotofs/iosphotofs/internal/gobcache"
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
	c := &headerCache{path: gobcache.File(dir, fmt.Sprintf("headers-v%d", cacheVersion), id)}
	if !gobcache.Load(c.path, &c.entries) {
		c.entries = map[string]cachedHeader{}
	}
	return c
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
	return gobcache.Save(c.path, c.entries)
}
