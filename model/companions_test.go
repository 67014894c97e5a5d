package model

import (
	"cmp"
	"slices"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

func TestWALCompanions(t *testing.T) {
	walDB, wal, err := fixture.WALDatabase(`CREATE TABLE t (x)`, `INSERT INTO t VALUES (1)`)
	if err != nil {
		t.Fatal(err)
	}
	rollback, err := fixture.SMSDatabase(1)
	if err != nil {
		t.Fatal(err)
	}
	dir := &Node{Name: "d", Ino: HashIno("d"), Mode: MadeDir}
	file := func(name string, data []byte) {
		dir.Children = append(dir.Children, &Node{Name: name, Ino: HashIno(name), Mode: ModeRegular | 0o444, Size: int64(len(data)), Content: Bytes(data)})
	}
	file("logged.db", rollback) // a rollback database with a stale -wal beside it
	file("logged.db-wal", wal)
	file("rollback.db", rollback)
	file("text-wal", []byte("not a companion of anything"))
	file("wal.db", walDB)
	tree := treeOf(&Node{Ino: RootIno, Mode: MadeDir, Children: []*Node{dir}})
	for name, size := range map[string]int64{
		"wal.db-wal": 0, "wal.db-shm": shmSize, // WAL mode: both
		"logged.db-shm": shmSize, "logged.db-wal": int64(len(wal)), // its own -wal, and a -shm for it
		"rollback.db-wal": -1, "rollback.db-shm": -1, // rollback mode, no -wal: nothing
		"text-shm": -1, "nothing.db-shm": -1, "d-wal": -1,
	} {
		n := tree.Lookup(dir, name)
		if size < 0 {
			if n != nil {
				t.Errorf("Lookup(%s) = %+v, want none", name, n)
			}
			continue
		}
		if n == nil || n.Size != size || n.Name != name {
			t.Errorf("Lookup(%s) = %+v, want %d bytes", name, n, size)
			continue
		}
		if again := tree.Lookup(dir, name); again != n || tree.Node(n.Ino) != n {
			t.Errorf("%s: a second lookup or its inode finds another node", name)
		}
	}
	if len(dir.Children) != 5 {
		t.Errorf("companions were listed: %d children", len(dir.Children))
	}
}

// treeOf makes the tree of root, whose children are in name order.
func treeOf(root *Node) *Tree {
	var all []*Node
	parents := map[*Node]*Node{}
	var walk func(d *Node)
	walk = func(d *Node) {
		all = append(all, d)
		for _, c := range d.Children {
			if c.IsDir() {
				parents[c] = d
				walk(c)
			} else {
				all = append(all, c)
			}
		}
	}
	walk(root)
	slices.SortFunc(all, func(a, b *Node) int { return cmp.Compare(a.Ino, b.Ino) })
	return New(root, all, parents, nil)
}
