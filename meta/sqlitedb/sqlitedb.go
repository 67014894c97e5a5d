// Package sqlitedb opens SQLite databases that belong to a source without
// ever writing next to them: no lock, no -shm, no journal, no checkpoint.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/private"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// Open opens the database at path through a private copy (removed by
// cleanup), with the files beside it that hold part of it (see Pending):
// SQLite then never opens a source file itself, which would follow a
// symlink, block on a FIFO, update access times, or need a -shm beside a
// WAL. The copy is read with srcdir, as every source file is.
func Open(path string) (db *sql.DB, cleanup func(), err error) {
	wal, journal := Pending(path)
	return OpenCopy(path, wal, journal)
}

// Pending names the files beside a database that hold part of it: its
// -wal (committed rows not yet copied into the file), and its -journal
// when that is hot (a write was interrupted, and the file holds part of
// it until the journal is rolled back); "" for each that is not there.
func Pending(path string) (wal, journal string) {
	if _, err := os.Lstat(path + "-wal"); err == nil {
		wal = path + "-wal"
	}
	if f, err := srcdir.OpenFile(path + "-journal"); err == nil {
		h := make([]byte, sqlitefile.JournalHeaderSize)
		if _, err := io.ReadFull(f, h); err == nil && sqlitefile.HotJournal(h) {
			journal = path + "-journal"
		}
		f.Close()
	}
	return wal, journal
}

// OpenCopy copies a database file and its WAL and rollback journal (either
// may be "", and the files may have any names, such as backup payloads)
// into a private 0700 folder and opens the copy, where SQLite applies the
// WAL or rolls the journal back; cleanup closes nothing and removes the
// folder.
func OpenCopy(path, wal, journal string) (db *sql.DB, cleanup func(), err error) {
	tmp, err := private.Dir("db")
	if err != nil {
		return nil, func() {}, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	dst := filepath.Join(tmp, "db.sqlite")
	for _, c := range [][2]string{{path, dst}, {wal, dst + "-wal"}, {journal, dst + "-journal"}} {
		if c[0] == "" {
			continue
		}
		if err := copyFile(c[0], c[1]); err != nil {
			cleanup()
			return nil, func() {}, err
		}
	}
	return open(dst, "mode=rw", cleanup)
}

func open(path, query string, cleanup func()) (*sql.DB, func(), error) {
	u := url.URL{Scheme: "file", Path: path, RawQuery: query}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		cleanup()
		return nil, func() {}, err
	}
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		cleanup()
		return nil, func() {}, err
	}
	return db, cleanup, nil
}

func copyFile(src, dst string) error {
	in, err := srcdir.OpenFile(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writePrivate(dst, in)
}

// writePrivate writes r to a new file only its owner can read (0600),
// for the private copies databases are opened from.
func writePrivate(dst string, r io.Reader) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// queryTimeout bounds each query of a source database. A backup is data:
// a query of a real table, even of a photo library of hundreds of MB,
// takes seconds; one that runs longer (a hostile file) is stopped, and
// the database is then treated as damaged.
var queryTimeout = 2 * time.Minute

// Query runs a query of a source database, bounded by queryTimeout; done
// releases it (after the rows are closed).
func Query(db *sql.DB, query string, args ...any) (rows *sql.Rows, done func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	rows, err = db.QueryContext(ctx, query, args...)
	if err != nil {
		cancel()
		return nil, func() {}, err
	}
	return rows, cancel, nil
}

// Table checks that name is a real table of db: ErrNoTable when there is
// none, an error for a view (reading one runs its query, which a hostile
// file can make endless) or a virtual table (whose rows come from code).
func Table(db *sql.DB, name string) error {
	var typ, text sql.NullString
	err := db.QueryRow(`SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE`, name).Scan(&typ, &text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNoTable
	case err != nil:
		return err
	case typ.String != "table":
		return fmt.Errorf("%s is a %s, not a table: not read", name, typ.String)
	case strings.HasPrefix(strings.ToUpper(strings.TrimSpace(text.String)), "CREATE VIRTUAL"):
		return fmt.Errorf("%s is a virtual table, not a table: not read", name)
	}
	return nil
}

// Reader reads a database table by table: all that the readers of photo
// libraries, stream stores and Messages need. SQL reads through SQLite (a
// private copy); Pages straight from the file's pages, in place.
type Reader interface {
	// Columns lists a table's columns, in upper case; a table that does
	// not exist has none, and something that is not a real table is an
	// error.
	Columns(table string) (map[string]bool, error)
	// SelectExisting queries the wanted columns of a table whose schema
	// drifts between releases: those it lacks read as NULL, so scanning
	// code needs no branches. fn gets each row (its slice is reused, its
	// values are nil, int64, float64, string or []byte); a table that does
	// not exist is ErrNoTable.
	SelectExisting(table string, want []string, fn func(vals []any) error) error
	// Tables lists the real tables.
	Tables() ([]string, error)
}

// SQL reads through SQLite.
type SQL struct{ DB *sql.DB }

func (s SQL) Columns(table string) (map[string]bool, error) {
	if err := Table(s.DB, table); err != nil {
		if err == ErrNoTable {
			return map[string]bool{}, nil
		}
		return nil, err
	}
	rows, done, err := Query(s.DB, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer done()
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		cols[strings.ToUpper(name)] = true
	}
	return cols, rows.Err()
}

func (s SQL) Tables() ([]string, error) {
	rows, done, err := Query(s.DB, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	defer done()
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	return names, rows.Err()
}

// ErrNoTable is SelectExisting's answer for a table that does not exist.
var ErrNoTable = errors.New("no such table")

func (s SQL) SelectExisting(table string, want []string, fn func(vals []any) error) error {
	cols, err := s.Columns(table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return ErrNoTable
	}
	exprs := make([]string, len(want))
	for i, c := range want {
		exprs[i] = "NULL"
		if cols[strings.ToUpper(c)] {
			exprs[i] = `"` + c + `"`
		}
	}
	rows, done, err := Query(s.DB, `SELECT `+strings.Join(exprs, ", ")+` FROM "`+table+`"`)
	if err != nil {
		return err
	}
	defer done()
	defer rows.Close()
	vals := make([]any, len(want))
	ptrs := make([]any, len(want))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
