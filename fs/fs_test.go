//go:build !windows

package fs

import (
	"github.com/iosphotofs/iosphotofs/model"
	"strings"
	"testing"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

func sampleFS(t *testing.T) *fileSystem {
	t.Helper()
	b, err := fixture.Sample(false)
	bk, err := backup.Detect(fixture.WriteTemp(t, b, err))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := index.FromBackup(bk, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return newFileSystem(tree.Tree, Options{})
}

// listPlus answers READDIRPLUS of the folder at path as the kernel asks
// it, for caller pid, and returns the node ID given with each name.
func listPlus(t *testing.T, f *fileSystem, path string, pid uint32) map[string]uint64 {
	t.Helper()
	dir := nodeAt(t, f, path)
	in := &fuse.ReadIn{InHeader: fuse.InHeader{NodeId: dir.Ino, Caller: fuse.Caller{Pid: pid}}, Size: 1 << 16}
	out := fuse.NewDirEntryList(make([]byte, in.Size), 0)
	if st := f.ReadDirPlus(nil, in, out); st != fuse.OK {
		t.Fatalf("READDIRPLUS %s: %v", path, st)
	}
	entries, attrs, err := fuse.ParseDirLookupEntries(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 2 || entries[0].Name != "." || entries[1].Name != ".." || attrs[0].NodeId != 0 || attrs[1].NodeId != 0 {
		t.Fatalf("%s: the listing does not start with . and .. (without attributes)", path)
	}
	ids := map[string]uint64{}
	for i, e := range entries[2:] {
		ids[e.Name] = attrs[i+2].NodeId
	}
	return ids
}

func nodeAt(t *testing.T, f *fileSystem, path string) *model.Node {
	t.Helper()
	n := f.tree.Load().Root
	for name := range strings.SplitSeq(path, "/") {
		if n = n.Child(name); n == nil {
			t.Fatalf("no %s in the tree", path)
		}
	}
	return n
}

// A caller that only walks (find) gets folders with their attributes and
// files without, until it looks a file up (ls -l, rsync): from then on its
// listings carry every entry's attributes. Other callers are not affected.
func TestListingAttributesFollowTheCaller(t *testing.T) {
	f := sampleFS(t)
	const walker, statter = 100, 200
	dir := "files/HomeDomain/Library"
	ids := listPlus(t, f, dir, walker)
	var file string
	for name, id := range ids {
		n := nodeAt(t, f, dir+"/"+name)
		switch {
		case n.IsDir() && id != n.Ino:
			t.Errorf("folder %s listed with node ID %d, want %d", name, id, n.Ino)
		case !n.IsDir() && id != 0:
			t.Errorf("file %s listed with attributes to a walker", name)
		case !n.IsDir() && file == "":
			file = name
		}
	}
	if file == "" {
		t.Fatalf("%s has no file to look up: %v", dir, ids)
	}

	var out fuse.EntryOut
	libIno := nodeAt(t, f, dir).Ino
	if st := f.Lookup(nil, &fuse.InHeader{NodeId: libIno, Caller: fuse.Caller{Pid: statter}}, file, &out); st != fuse.OK || out.NodeId == 0 {
		t.Fatalf("LOOKUP %s: %v, node %d", file, st, out.NodeId)
	}
	if got := listPlus(t, f, dir, statter)[file]; got != out.NodeId {
		t.Errorf("after a lookup, the listing gives %s node ID %d, want %d", file, got, out.NodeId)
	}
	if got := listPlus(t, f, dir, walker)[file]; got != 0 {
		t.Errorf("another caller's lookup gave the walker attributes for %s", file)
	}
}
