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

// Beside are the files beside a database that hold part of it: its
// write-ahead log, and its rollback journal when that is hot (see
// Pending); nil for none.
type Beside struct {
	WAL, Journal         io.ReaderAt
	WALSize, JournalSize int64
}

// OpenPages opens the database r of size bytes as what is beside it makes
// it: as of its log's last complete commit, or as before the write its hot
// journal holds (laid over the file, which is not changed).
func OpenPages(r io.ReaderAt, size int64, beside Beside) (Pages, error) {
	var err error
	switch {
	case beside.Journal != nil:
		r, size, err = sqlitefile.WithJournal(r, size, beside.Journal, beside.JournalSize)
	case beside.WAL != nil:
		r, size, err = sqlitefile.WithWAL(r, size, beside.WAL, beside.WALSize)
	}
	if err != nil {
		return Pages{}, err
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

// OpenFile opens the database at path to read it in place from its
// pages, with what is beside it (Pending) laid over them: nothing is
// copied or written. done releases it.
func OpenFile(path string) (r Reader, done func(), err error) {
	wal, journal := Pending(path)
	db, done, err := OpenInPlace(path, wal, journal)
	if err != nil {
		return nil, func() {}, err
	}
	return Pages{db}, done, nil
}

// OpenInPlace opens the database at path for the page reader, with its
// write-ahead log or hot journal (each "" for none) laid over it; done
// closes the files.
func OpenInPlace(path, wal, journal string) (db *sqlitefile.DB, done func(), err error) {
	var files []*os.File
	done = func() {
		for _, f := range files {
			f.Close()
		}
	}
	open := func(p string) (io.ReaderAt, int64, error) {
		if p == "" {
			return nil, 0, nil
		}
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
	var p Pages
	f, size, err := open(path)
	var b Beside
	if err == nil {
		b.WAL, b.WALSize, err = open(wal)
	}
	if err == nil {
		b.Journal, b.JournalSize, err = open(journal)
	}
	if err == nil {
		p, err = OpenPages(f, size, b)
	}
	if err != nil {
		done()
		return nil, func() {}, err
	}
	return p.DB, done, nil
}
