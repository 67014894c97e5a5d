//go:build !windows

package fs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/iosphotofs/iosphotofs/model"
)

// slowCopy is a file made on demand that is made a while after it is
// asked for.
type slowCopy struct{ ready atomic.Bool }

func (s *slowCopy) Open() (model.Reader, error) { return model.Bytes("jpeg").Open() }
func (s *slowCopy) Size() (int64, error)        { return 4, nil }
func (s *slowCopy) Ready() bool                 { return s.ready.Load() }
func (s *slowCopy) Prefetch() {
	go func() { time.Sleep(1500 * time.Millisecond); s.ready.Store(true) }()
}

// A listing that queues copies is told about, once a second, with its
// folder, until they are all made; a folder listed twice counts each once.
func TestListingTellsItsConversions(t *testing.T) {
	dir := &model.Node{Name: "2025_10", Ino: model.HashIno("d"), Mode: model.MadeDir}
	for _, name := range []string{"a.JPG", "b.JPG", "c.JPG"} {
		dir.Children = append(dir.Children, &model.Node{Name: name, Ino: model.HashIno(name), Mode: model.MadeFile, Content: &slowCopy{}})
	}
	byDate := &model.Node{Name: "by-date", Ino: model.HashIno("by-date"), Mode: model.MadeDir, Children: []*model.Node{dir}}
	root := &model.Node{Ino: model.RootIno, Mode: model.MadeDir, Children: []*model.Node{byDate}}
	nodes := append([]*model.Node{root, byDate, dir}, dir.Children...)
	slices.SortFunc(nodes, func(a, b *model.Node) int { return cmp.Compare(a.Ino, b.Ino) })
	tree := model.New(root, nodes, map[*model.Node]*model.Node{byDate: root, dir: byDate}, nil)
	var mu sync.Mutex
	var told []string
	var last [2]int
	f := newFileSystem(tree, Options{Progress: func(what string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		told = append(told, what)
		last = [2]int{done, total}
	}})
	for range 2 {
		in := &fuse.ReadIn{InHeader: fuse.InHeader{NodeId: dir.Ino}, Size: 1 << 16}
		if st := f.ReadDirPlus(nil, in, fuse.NewDirEntryList(make([]byte, in.Size), 0)); st != fuse.OK {
			t.Fatal(st)
		}
	}
	time.Sleep(2500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(told) == 0 || told[0] != "converting 3 HEIC photos for by-date/2025_10" || last != [2]int{3, 3} {
		t.Errorf("told %q, last %v", told, last)
	}
}

// failedCopy is a file made on demand whose making failed.
type failedCopy struct{}

func (failedCopy) Open() (model.Reader, error) {
	return nil, fmt.Errorf("convert: the HEIC decoder failed: %w", syscall.EIO)
}
func (failedCopy) Size() (int64, error) { return 0, errors.New("convert: the HEIC decoder failed") }
func (failedCopy) Ready() bool          { return true }
func (failedCopy) Prefetch()            {}

// A copy that could not be made keeps its name (a name that vanished
// would make rsync and cp report it gone): it is empty, and opening it
// fails with EIO.
func TestFailedCopyKeepsItsName(t *testing.T) {
	n := &model.Node{Name: "IMG_0001.JPG", Ino: model.HashIno("copy"), Mode: model.MadeFile, Content: failedCopy{}}
	root := &model.Node{Ino: model.RootIno, Mode: model.MadeDir, Children: []*model.Node{n}}
	nodes := []*model.Node{root, n}
	slices.SortFunc(nodes, func(a, b *model.Node) int { return cmp.Compare(a.Ino, b.Ino) })
	f := newFileSystem(model.New(root, nodes, nil, nil), Options{})
	var out fuse.EntryOut
	if st := f.Lookup(nil, &fuse.InHeader{NodeId: fuse.FUSE_ROOT_ID}, n.Name, &out); st != fuse.OK || out.Size != 0 {
		t.Fatalf("lookup: %v, size %d", st, out.Size)
	}
	var open fuse.OpenOut
	if st := f.Open(nil, &fuse.OpenIn{InHeader: fuse.InHeader{NodeId: n.Ino}}, &open); st != fuse.EIO {
		t.Errorf("open: %v, want EIO", st)
	}
}
