package index

import (
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"github.com/iosphotofs/iosphotofs/model"
	"sync/atomic"
	"syscall"

	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// unknownSize is the manifest size of a row whose metadata is damaged:
// there is none to compare the payload with.
const unknownSize = -1

// payload is a plain payload file inside the backup folder.
//
// What stat shows is the payload's own size, not the manifest's: a file
// changed while the backup was written, or replaced by a tool, must still
// open whole (a database cut to the manifest's size is of no use). Looking
// at every payload while indexing would double the time a large backup
// takes (one fstatat is about 1.4 µs here, as much as decoding a row), so
// each is looked at when its size is first asked for (a stat, a listing
// with attributes, an open), and all of them when info/ is first read
// (Tree.Summary).
type payload struct {
	dir      *srcdir.Dir // its folder: the backup's own (flat) or an xx/ one
	id       backup.ID
	flat     bool
	manifest int64        // the size the manifest gives, or unknownSize
	seen     atomic.Int64 // the size shown plus one, once known (0: not yet)
}

func (p *payload) path() string { return backup.Payload{Flat: p.flat}.Path(p.id) }

func (p *payload) manifestSize() int64 { return p.manifest }

// known returns the size shown, if it is known yet.
func (p *payload) known() (int64, bool) {
	s := p.seen.Load()
	return s - 1, s > 0
}

// settle records a size found; when two callers race, both show the first.
func (p *payload) settle(size int64) int64 {
	p.seen.CompareAndSwap(0, size+1)
	return p.seen.Load() - 1
}

// Size looks the payload up, the first time.
func (p *payload) Size() (int64, error) {
	return p.lookUp(func(onDisk int64) (int64, error) { return onDisk, nil })
}

// lookUp returns the size shown, the first time from shown, which is
// given the payload file's own size.
func (p *payload) lookUp(shown func(onDisk int64) (int64, error)) (int64, error) {
	if s, ok := p.known(); ok {
		return s, nil
	}
	size, err := p.dir.Size(p.id.String())
	if err == nil {
		size, err = shown(size)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.path(), err)
	}
	return p.settle(size), nil
}

// Open refuses a payload that no longer has the size shown (it changed
// while mounted): readers would get fewer or more bytes than stat said.
// Opening is also a way to look at a payload: most are first opened by
// the build (their headers), which then spares the lookup.
func (p *payload) Open() (model.Reader, error) {
	f, err := p.dir.Open(p.id.String())
	f, got, err := openedRegular(f, err, p.path())
	if err != nil {
		return nil, err
	}
	if size := p.settle(got); size != got {
		f.Close()
		return nil, fmt.Errorf("%s has %d bytes, when first looked at it had %d: %w", p.path(), got, size, syscall.EIO)
	}
	return f, nil
}
