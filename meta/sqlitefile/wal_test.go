package sqlitefile

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"io"
	"slices"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// rowsWithWAL reads table t's column x from the database as its log makes
// it.
func rowsWithWAL(t *testing.T, db, wal []byte) []string {
	t.Helper()
	got, err := rowsOfT(WithWAL(bytes.NewReader(db), int64(len(db)), bytes.NewReader(wal), int64(len(wal))))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// rowsOfT reads the first column of every row of table t of what a reader
// gives (a database of size bytes, or err), sorted.
func rowsOfT(r io.ReaderAt, size int64, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	d, err := Open(r, size)
	if err != nil {
		return nil, err
	}
	tab, err := d.Table("t")
	if err != nil {
		return nil, err
	}
	var got []string
	err = d.Scan(tab.Root, 1, func(_ int, rec []byte, rowErr error) error {
		if rowErr != nil {
			return rowErr
		}
		v, err := Values(rec, nil)
		if err == nil {
			got = append(got, v[0].Text())
		}
		return err
	})
	slices.Sort(got)
	return got, err
}

// The rows of a database caught between checkpoints are those of its file
// and its log; a log cut mid-write, or whose last frame is damaged, gives
// its last complete commit.
func TestWithWAL(t *testing.T) {
	db, wal, err := fixture.WALDatabase(`CREATE TABLE t (x); INSERT INTO t VALUES ('in the file')`,
		`INSERT INTO t VALUES ('first commit'); INSERT INTO t VALUES ('second commit')`)
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"first commit", "in the file", "second commit"}
	if got := rowsWithWAL(t, db, wal); !slices.Equal(got, all) {
		t.Errorf("with the log: %q, want %q", got, all)
	}
	if got := rowsWithWAL(t, db, nil); !slices.Equal(got, []string{"in the file"}) {
		t.Errorf("without it: %q", got)
	}
	frame := int64(walFrameHeaderSize) + int64(binary.BigEndian.Uint32(wal[8:]))
	frames := (int64(len(wal)) - walHeaderSize) / frame
	// The second commit is the last frame: cut into it, or damage it.
	cut := wal[:len(wal)-int(frame)/2]
	damaged := bytes.Clone(wal)
	damaged[len(damaged)-1] ^= 0xff
	first := []string{"first commit", "in the file"}
	for name, w := range map[string][]byte{"cut mid-frame": cut, "last frame damaged": damaged} {
		if got := rowsWithWAL(t, db, w); !slices.Equal(got, first) {
			t.Errorf("%s (%d frames): %q, want %q", name, frames, got, first)
		}
	}
}

// Whatever the log holds, reading it gives an error or a database, and
// never a panic.
func FuzzWithWAL(f *testing.F) {
	db, wal, err := fixture.WALDatabase(`CREATE TABLE t (x); INSERT INTO t VALUES ('a')`, `INSERT INTO t VALUES ('b')`)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(wal)
	f.Fuzz(func(t *testing.T, wal []byte) {
		rowsOfT(WithWAL(bytes.NewReader(db), int64(len(db)), bytes.NewReader(wal), int64(len(wal))))
	})
}

// A database whose write was cut short reads, with its hot journal laid
// over it, as it was before that write: the rows SQLite's own rollback
// gives.
func TestWithJournal(t *testing.T) {
	before, err := fixture.SQLite(func(db *sql.DB) error {
		_, err := db.Exec(`CREATE TABLE t (x);
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000)
			INSERT INTO t SELECT 'row ' || i FROM n`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	file, journal, err := fixture.InterruptedWrite(before, `UPDATE t SET x = 'half-written'`)
	if err != nil {
		t.Fatal(err)
	}
	read := func(db []byte, journal []byte) ([]string, error) {
		if journal == nil {
			return rowsOfT(bytes.NewReader(db), int64(len(db)), nil)
		}
		return rowsOfT(WithJournal(bytes.NewReader(db), int64(len(db)), bytes.NewReader(journal), int64(len(journal))))
	}
	want, err := read(before, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := read(file, nil); err == nil && slices.Equal(got, want) {
		t.Fatal("fixture: the file alone reads as before the write")
	}
	if got, err := read(file, journal); err != nil || !slices.Equal(got, want) {
		t.Errorf("rolled back: %d rows (%q...), %v; want %d", len(got), got[:min(3, len(got))], err, len(want))
	}
}

// Whatever the journal holds, laying it over a database gives an error or
// a database, and never a panic.
func FuzzWithJournal(f *testing.F) {
	before, err := fixture.SQLite(func(db *sql.DB) error {
		_, err := db.Exec(`CREATE TABLE t (x); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 500)
			INSERT INTO t SELECT 'row ' || i FROM n`)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	file, journal, err := fixture.InterruptedWrite(before, `UPDATE t SET x = 'changed'`)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(journal)
	f.Fuzz(func(t *testing.T, journal []byte) {
		rowsOfT(WithJournal(bytes.NewReader(file), int64(len(file)), bytes.NewReader(journal), int64(len(journal))))
	})
}
