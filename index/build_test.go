package index

import (
	"cmp"
	"encoding/binary"
	"github.com/iosphotofs/iosphotofs/model"
	"slices"
	"strings"
	"testing"
)

func TestCollisions(t *testing.T) {
	b := newBuilder(0)
	// Insertion order is source order: the first keeps the plain name.
	for i, name := range []string{"x.jpg", "x.jpg", "x (2).jpg", "x.jpg", "y"} {
		b.add("d", &model.Node{Name: name, Ino: uint64(100 + i), Mode: model.ModeRegular | 0o444})
	}
	b.add("d", &model.Node{Name: "y", Mode: model.ModeDir | 0o555})
	tree := b.finish()
	d := tree.Root.Child("d")
	var got []string
	for _, c := range d.Children {
		got = append(got, c.Name)
	}
	want := "x (2).jpg,x (3).jpg,x (4).jpg,x.jpg,y,y (2)"
	if strings.Join(got, ",") != want {
		t.Errorf("names = %v, want %s", got, want)
	}
	// The original "x (2).jpg" keeps its name; the copies of x.jpg move around it.
	if n := d.Child("x (2).jpg"); n.Ino != 102 {
		t.Errorf("x (2).jpg is ino %d, want the source's own x (2).jpg (102)", n.Ino)
	}
	if n := d.Child("x (3).jpg"); n.Ino != 101 {
		t.Errorf("x (3).jpg is ino %d, want the second x.jpg (101)", n.Ino)
	}
	if n := d.Child("y (2)"); !n.IsDir() {
		t.Error("the later directory y should be y (2)")
	}
}

func TestInodesUniqueAndStable(t *testing.T) {
	build := func() *Tree {
		b := newBuilder(0)
		b.add("a", &model.Node{Name: "f", Ino: 42, Mode: model.ModeRegular})
		b.add("a", &model.Node{Name: "g", Ino: 42, Mode: model.ModeRegular}) // collides with f
		b.add("b", &model.Node{Name: "h", Ino: model.RootIno, Mode: model.ModeRegular})
		return b.finish()
	}
	t1, t2 := build(), build()
	seen := map[uint64]string{}
	for _, p := range []string{"a", "a/f", "a/g", "b", "b/h"} {
		n1, n2 := t1.Root.Walk(p), t2.Root.Walk(p)
		if n1.Ino != n2.Ino {
			t.Errorf("%s: ino %d then %d", p, n1.Ino, n2.Ino)
		}
		if other, dup := seen[n1.Ino]; dup || n1.Ino <= model.RootIno {
			t.Errorf("%s: ino %d (also %s)", p, n1.Ino, other)
		}
		seen[n1.Ino] = p
		if t1.Node(n1.Ino) != n1 {
			t.Errorf("%s: Node(%d) does not find it", p, n1.Ino)
		}
	}
	if t1.Node(model.RootIno) != t1.Root || t1.Node(7) != nil {
		t.Error("Node(RootIno) must be the root and Node of an unused number nil")
	}
	if t1.Root.Walk("a/f").Ino != 42 {
		t.Error("the first holder of an ino should keep it")
	}
}

// FuzzSortInoEntries checks the counting sort against a comparison sort,
// for evenly spread numbers and bunched ones (shifted right: fewer top
// bits), and for a few given outright.
func FuzzSortInoEntries(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint8(0), []byte{0, 1, 2, 3, 4, 5, 6, 7, 255, 255, 255, 255, 255, 255, 255, 255})
	f.Add(uint64(7), uint8(40), uint8(9), []byte(nil))
	f.Fuzz(func(t *testing.T, seed uint64, shift, more uint8, b []byte) {
		n := 1<<12 + int(more)*64
		es := make([]inoEntry, 0, n+len(b)/8)
		for i := range n {
			// splitmix64: spread, then bunched by the shift.
			z := seed + uint64(i)*0x9e3779b97f4a7c15
			z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
			z = (z ^ z>>27) * 0x94d049bb133111eb
			es = append(es, inoEntry{ino: (z ^ z>>31) >> (shift % 64)})
		}
		for ; len(b) >= 8; b = b[8:] {
			es = append(es, inoEntry{ino: binary.BigEndian.Uint64(b)})
		}
		want := slices.Clone(es)
		slices.SortFunc(want, func(x, y inoEntry) int { return cmp.Compare(x.ino, y.ino) })
		if got := sortInoEntries(es); !slices.EqualFunc(got, want, func(x, y inoEntry) bool { return x.ino == y.ino }) {
			t.Errorf("seed %d shift %d: not sorted", seed, shift)
		}
	})
}

// Inode numbers that bunch up (a manifest may give any fileIDs) are
// sorted too, without an insertion pass over one long run.
func TestSortInoEntriesBunched(t *testing.T) {
	var es []inoEntry
	for i := range 200_000 {
		es = append(es, inoEntry{ino: uint64(200_000 - i)}) // all under one prefix, backwards
	}
	got := sortInoEntries(es)
	for i := 1; i < len(got); i++ {
		if got[i-1].ino > got[i].ino {
			t.Fatalf("out of order at %d: %d > %d", i, got[i-1].ino, got[i].ino)
		}
	}
}
