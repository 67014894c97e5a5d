package index

import (
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
	b := newBuilder(1)
	file := func(name string, data []byte) {
		b.add("d", &Node{Name: name, Ino: hashIno(name), Mode: ModeRegular | 0o444, Size: int64(len(data)), Content: memContent(data)})
	}
	file("wal.db", walDB)
	file("logged.db", rollback) // a rollback database with a stale -wal beside it
	file("logged.db-wal", wal)
	file("rollback.db", rollback)
	file("text-wal", []byte("not a companion of anything"))
	tree := b.finish()
	dir := tree.Root.Child("d")
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
