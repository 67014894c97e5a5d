package model

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
)

// SQLite opens a database in WAL mode only with its -wal and -shm beside
// it, and cannot create them on a read-only mount; a -shm copied from the
// device would not help either, as SQLite must rebuild it. So a lookup of
// a missing "<db>-shm" (for a database with a -wal, or in WAL mode) finds
// an empty shared-memory file, and one of a missing "<db>-wal" (for a
// database in WAL mode) an empty log. SQLite, finding the -shm read-only,
// builds its index of the WAL in its own memory: the database opens, with
// the WAL's rows. The companions are found by name only, never listed, so
// rsync and find see the backup as it is.
const shmSize = 32 << 10 // one shared-memory region

var zeroShm = make(Bytes, shmSize)

// Lookup finds the entry name of directory dir: a child, or a WAL
// companion of a database child.
func (t *Tree) Lookup(dir *Node, name string) *Node {
	if c := dir.Child(name); c != nil {
		return c
	}
	base, suffix := name, ""
	for _, s := range []string{"-shm", "-wal"} {
		if b, ok := strings.CutSuffix(name, s); ok {
			base, suffix = b, s
		}
	}
	db := dir.Child(base)
	if suffix == "" || db == nil || db.Mode&ModeType != ModeRegular {
		return nil
	}
	hasWAL := suffix == "-shm" && dir.Child(base+"-wal") != nil
	if !hasWAL && !walMode(db) {
		return nil
	}
	return t.keepCompanion(companion{db: db.Ino, suffix: suffix}.node(db, name))
}

// companion is a WAL companion handed out: of the database at inode db.
type companion struct {
	db     uint64
	suffix string // "-shm" or "-wal"
	n      *Node
}

func (c companion) node(db *Node, name string) companion {
	c.n = &Node{Name: name, Ino: HashIno("companion:" + strconv.FormatUint(c.db, 10) + c.suffix),
		Mode: MadeFile, Mtime: db.Mtime, Ctime: db.Ctime, Content: Bytes(nil)}
	if c.suffix == "-shm" {
		c.n.Size, c.n.Content = shmSize, zeroShm
	}
	return c
}

// keepCompanion remembers a companion, so its inode number finds it; the
// first one made of a name stays.
func (t *Tree) keepCompanion(c companion) *Node {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old, ok := t.companions[c.n.Ino]; ok {
		return old.n
	}
	if t.companions == nil {
		t.companions = map[uint64]companion{}
	}
	t.companions[c.n.Ino] = c
	return c.n
}

// Adopt takes over the companions an older tree of the same source handed
// out, for each database t still has: the kernel keeps their names for as
// long as it caches entries, and SQLite keeps them open, so they must not
// vanish when a rebuilt tree is served.
func (t *Tree) Adopt(old *Tree) {
	old.mu.Lock()
	kept := slices.Collect(maps.Values(old.companions))
	old.mu.Unlock()
	for _, c := range kept {
		if db := t.Node(c.db); db != nil && db.Mode&ModeType == ModeRegular {
			t.keepCompanion(c.node(db, c.n.Name))
		}
	}
}

// walMode reads a file's database header.
func walMode(n *Node) bool {
	if size, err := SizeOf(n); err != nil || size < sqlitefile.HeaderSize {
		return false
	}
	r, err := n.Content.Open()
	if err != nil {
		return false
	}
	defer r.Close()
	var h [20]byte
	_, err = r.ReadAt(h[:], 0)
	return err == nil && sqlitefile.WALMode(h[:])
}
