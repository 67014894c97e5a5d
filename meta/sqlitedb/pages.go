package sqlitedb

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
)

// Pages reads a database straight from its pages (sqlitefile), in place:
// nothing is copied, nothing written beside it, no query of the file's own
// (a view) is ever run.
type Pages struct{ DB *sqlitefile.DB }

// OpenPages opens the database r of size bytes with its write-ahead log
// (wal nil: none), as of the log's last complete commit.
func OpenPages(r io.ReaderAt, size int64, wal io.ReaderAt, walSize int64) (Pages, error) {
	if wal != nil {
		var err error
		if r, size, err = sqlitefile.WithWAL(r, size, wal, walSize); err != nil {
			return Pages{}, err
		}
	}
	db, err := sqlitefile.Open(r, size)
	return Pages{db}, err
}

func (p Pages) Columns(table string) (map[string]bool, error) {
	t, err := p.DB.Table(table)
	if errors.Is(err, sqlitefile.ErrNoTable) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	cols := map[string]bool{}
	for _, c := range t.Columns {
		cols[strings.ToUpper(c)] = true
	}
	return cols, nil
}

func (p Pages) SelectExisting(table string, want []string, fn func(vals []any) error) error {
	vals := make([]any, len(want))
	err := p.DB.Rows(table, want, func(row []sqlitefile.Value) error {
		for i, v := range row {
			vals[i] = v.Any()
		}
		return fn(vals)
	})
	if errors.Is(err, sqlitefile.ErrNoTable) {
		return ErrNoTable
	}
	return err
}

func (p Pages) Tables() ([]string, error) { return p.DB.Tables() }

// OpenFile opens the database at path to read it: in place from its pages
// (with its -wal), or, when a hot rollback journal beside it says the file
// holds half a write, through a private copy that SQLite rolls back. done
// releases it.
func OpenFile(path string) (r Reader, done func(), err error) {
	wal, journal := Pending(path)
	if journal != "" {
		db, cleanup, err := OpenCopy(path, wal, journal)
		if err != nil {
			return nil, func() {}, err
		}
		return SQL{db}, func() { db.Close(); cleanup() }, nil
	}
	db, done, err := OpenInPlace(path, wal)
	if err != nil {
		return nil, func() {}, err
	}
	return Pages{db}, done, nil
}

// OpenInPlace opens the database at path for the page reader, with its
// write-ahead log (wal "": none) laid over it; done closes the files.
func OpenInPlace(path, wal string) (db *sqlitefile.DB, done func(), err error) {
	var files []*os.File
	done = func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(p string) (*os.File, int64, error) {
		f, err := srcdir.OpenFile(p)
		if err != nil {
			return nil, 0, err
		}
		files = append(files, f)
		fi, err := f.Stat()
		if err != nil {
			return nil, 0, err
		}
		return f, fi.Size(), nil
	}
	f, size, err := open(path)
	var r io.ReaderAt = f
	if err == nil && wal != "" {
		var w *os.File
		var walSize int64
		if w, walSize, err = open(wal); err == nil {
			r, size, err = sqlitefile.WithWAL(f, size, w, walSize)
		}
	}
	if err == nil {
		db, err = sqlitefile.Open(r, size)
	}
	if err != nil {
		done()
		return nil, func() {}, err
	}
	return db, done, nil
}
