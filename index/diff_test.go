package index

import (
	"github.com/iosphotofs/iosphotofs/model"
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	tree := func(files map[string]int64) *Tree {
		b := newBuilder(1)
		for p, size := range files {
			dir, name, _ := model.SplitSafe(p)
			b.add(dir, &model.Node{Name: name, Ino: model.HashIno(p), Mode: model.ModeRegular | 0o444, Size: size})
		}
		return b.finish()
	}
	old := tree(map[string]int64{"a/kept": 1, "a/changed": 2, "a/gone": 3, "b/x": 4, "gone-dir/y": 5})
	new := tree(map[string]int64{"a/kept": 1, "a/changed": 20, "a/new": 6, "b/x": 4, "c/z": 7})
	changes, dirs := model.Diff(old.Tree, new.Tree)
	var got []string
	for _, c := range changes {
		got = append(got, c.Name)
	}
	slices.Sort(got)
	if want := []string{"c", "changed", "gone", "gone-dir", "new"}; !slices.Equal(got, want) {
		t.Errorf("changed names %q, want %q", got, want)
	}
	a := old.Root.Child("a")
	if !slices.Contains(dirs, a.Ino) || !slices.Contains(dirs, uint64(model.RootIno)) || slices.Contains(dirs, old.Root.Child("b").Ino) {
		t.Errorf("changed folders %v: want a and the root, not b", dirs)
	}
	for _, c := range changes {
		if (c.Name == "new" || c.Name == "c") != (c.Old == 0) {
			t.Errorf("%s: old inode %d", c.Name, c.Old)
		}
	}
	if c, d := model.Diff(old.Tree, old.Tree); len(c) != 0 || len(d) != 0 {
		t.Errorf("a tree differs from itself: %v %v", c, d)
	}
}
