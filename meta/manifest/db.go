// Package manifest reads the two manifest formats of iPhone backups:
// Manifest.db (iOS 10+, SQLite with MBFile blobs) and Manifest.mbdb (iOS 5-9).
package manifest

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/mbfile"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
)

// Sink receives manifest rows in chunks, in no particular order, one call
// at a time; a chunk is the sink's to keep.
type Sink func(chunk []backup.Record)

// chunkSize is how many rows travel together from decoders to the sink.
const chunkSize = 1024

// collector calls a sink from one goroutine for chunks sent from many.
type collector struct {
	ch   chan []backup.Record
	done chan struct{}
}

func collect(sink Sink) *collector {
	c := &collector{ch: make(chan []backup.Record, 64), done: make(chan struct{})}
	go func() {
		for chunk := range c.ch {
			sink(chunk)
		}
		close(c.done)
	}()
	return c
}

func (c *collector) send(chunk []backup.Record) {
	if len(chunk) > 0 {
		c.ch <- chunk
	}
}

func (c *collector) wait() {
	close(c.ch)
	<-c.done
}

// ReadDB reads every row of a Manifest.db into sink and returns what was
// wrong with some of them. Without a -wal the table is read straight from
// the file by parallel workers (meta/sqlitefile); with one, or when the
// file is not what that reader expects, through SQLite on a private copy.
//
// With keys, each file's wrapped EncryptionKey is kept (encrypted backups).
func ReadDB(path string, workers int, keys bool, sink Sink) ([]string, error) {
	workers = max(workers, 1)
	if _, err := os.Lstat(path + "-wal"); err == nil {
		return readSQL(path, workers, keys, sink)
	}
	// Find the table first, so that a file the fast reader cannot take
	// falls back before any row has reached the sink.
	f, db, table, where, err := openFile(path)
	if err != nil {
		problems, sqlErr := readSQL(path, workers, keys, sink)
		if sqlErr != nil {
			return nil, fmt.Errorf("%w (and %v)", sqlErr, err)
		}
		return problems, nil
	}
	defer f.Close()
	return readFile(db, table, where, workers, keys, sink)
}

// manifestColumns are the Files columns we read, in our order.
var manifestColumns = [...]string{"fileID", "domain", "relativePath", "flags", "file"}

func openFile(path string) (*os.File, *sqlitefile.DB, *sqlitefile.Table, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	fail := func(err error) (*os.File, *sqlitefile.DB, *sqlitefile.Table, []int, error) {
		f.Close()
		return nil, nil, nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	db, err := sqlitefile.Open(f, st.Size())
	if err != nil {
		return fail(err)
	}
	table, err := db.Table("Files")
	if err != nil {
		return fail(err)
	}
	where := make([]int, len(manifestColumns))
	for i, name := range manifestColumns {
		where[i] = slices.IndexFunc(table.Columns, func(c string) bool { return strings.EqualFold(c, name) })
		if where[i] < 0 {
			return fail(fmt.Errorf("Files has no column %s", name))
		}
	}
	return f, db, table, where, nil
}

func readFile(db *sqlitefile.DB, table *sqlitefile.Table, where []int, workers int, keys bool, sink Sink) ([]string, error) {
	type state struct {
		chunk    []backup.Record
		problems []string
		vals     []sqlitefile.Value
		domains  map[string]string // interned: a few hundred domains, 100k+ rows
	}
	states := make([]state, workers)
	for i := range states {
		states[i].domains = make(map[string]string)
	}
	out := collect(sink)
	err := db.Scan(table.Root, workers, func(w int, rec []byte, rowErr error) error {
		st := &states[w]
		if rowErr != nil {
			st.problems = append(st.problems, fmt.Sprintf("Manifest.db: rows lost: %v", rowErr))
			return nil
		}
		vals, err := sqlitefile.Values(rec, st.vals)
		if err != nil || len(vals) < len(table.Columns) {
			st.problems = append(st.problems, fmt.Sprintf("Manifest.db: a row is unreadable: %v", err))
			return nil
		}
		st.vals = vals
		col := func(i int) sqlitefile.Value { return vals[where[i]] }
		domain, ok := st.domains[string(col(1).Bytes())]
		if !ok {
			domain = string(col(1).Bytes())
			st.domains[domain] = domain
		}
		flags, _ := col(3).Int()
		r, problem := decodeRow(col(0).Bytes(), domain, string(col(2).Bytes()), flags, col(4).Bytes(), keys)
		if problem != "" {
			st.problems = append(st.problems, problem)
		}
		if st.chunk == nil {
			st.chunk = make([]backup.Record, 0, chunkSize)
		}
		st.chunk = append(st.chunk, r)
		if len(st.chunk) == chunkSize {
			out.send(st.chunk)
			st.chunk = nil
		}
		return nil
	})
	var problems []string
	for _, st := range states {
		out.send(st.chunk)
		problems = append(problems, st.problems...)
	}
	out.wait()
	return problems, err
}

type rawRow struct {
	id           []byte
	domain, path string
	flags        int64
	blob         []byte
}

func readSQL(path string, workers int, keys bool, sink Sink) ([]string, error) {
	db, cleanup, err := sqlitedb.Open(path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	defer db.Close()
	rows, err := db.Query(`SELECT fileID, domain, relativePath, flags, file FROM Files`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := collect(sink)
	batches := make(chan []rawRow, workers*2)
	problems := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := range batches {
				chunk := make([]backup.Record, 0, len(b))
				for _, row := range b {
					r, problem := decodeRow(row.id, row.domain, row.path, row.flags, row.blob, keys)
					chunk = append(chunk, r)
					if problem != "" {
						problems[w] = append(problems[w], problem)
					}
				}
				out.send(chunk)
			}
		})
	}
	domains := make(map[string]string)
	var scanErr error
	var read int
	batch := make([]rawRow, 0, chunkSize)
	for rows.Next() {
		var id, domain, rel, blob sql.RawBytes
		var flags sql.NullInt64
		if scanErr = rows.Scan(&id, &domain, &rel, &flags, &blob); scanErr != nil {
			break
		}
		d, ok := domains[string(domain)]
		if !ok {
			d = string(domain)
			domains[d] = d
		}
		batch = append(batch, rawRow{
			id: slices.Clone(id), domain: d, path: string(rel), flags: flags.Int64, blob: slices.Clone(blob),
		})
		read++
		if len(batch) == chunkSize {
			batches <- batch
			batch = make([]rawRow, 0, chunkSize)
		}
	}
	batches <- batch
	close(batches)
	wg.Wait()
	out.wait()
	all := slices.Concat(problems...)
	if scanErr == nil {
		scanErr = rows.Err()
	}
	if scanErr != nil {
		// Rows read before a damaged page are still good: keep them.
		all = append(all, fmt.Sprintf("Manifest.db: reading stopped after %d rows: %v", read, scanErr))
		if read == 0 {
			return nil, scanErr
		}
	}
	return all, nil
}

// decodeRow turns one Files row into a Record, and says what was wrong
// with it, if anything.
func decodeRow(idHex []byte, domain, path string, flags int64, blob []byte, keys bool) (backup.Record, string) {
	rec := backup.Record{Domain: domain, RelativePath: path, Flags: flags, Type: backup.TypeOfFlags(flags)}
	var problem string
	var id backup.ID
	if len(idHex) != 2*len(id) {
		idHex = nil
	}
	if _, err := hex.Decode(id[:], idHex); err != nil || idHex == nil {
		// The ID can be recomputed; the payload is found by it.
		id = backup.FileID(domain, path)
		problem = fmt.Sprintf("Manifest.db: %s-%s: bad fileID %q, using %s", domain, path, idHex, id)
	}
	rec.ID = id
	if rec.Type == backup.Unknown {
		return rec, problem
	}
	var err error
	if len(blob) == 0 {
		err = errors.New("no MBFile data")
	} else {
		decode := mbfile.Decode
		if keys {
			decode = mbfile.DecodeWithKey
		}
		rec.File, err = decode(blob)
	}
	if err != nil {
		rec.File = mbfile.File{}
		rec.Damaged = true
		problem = fmt.Sprintf("Manifest.db: %s-%s (%s): file metadata unreadable: %v", domain, path, id, err)
	}
	return rec, problem
}
