// Package manifest reads the two manifest formats of iPhone backups:
// Manifest.db (iOS 10+, SQLite with MBFile blobs) and Manifest.mbdb (iOS 5-9).
package manifest

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"slices"
	"strings"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/mbfile"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
)

// Sink receives manifest rows in chunks, in no particular order, one call
// at a time. A chunk is lent: the sink must not keep it, nor pointers into
// it, once it returns (its strings and maps are the sink's to keep).
type Sink func(chunk []backup.Record)

// chunkSize is how many rows travel together from decoders to the sink.
const chunkSize = 1024

// collector calls a sink from one goroutine for chunks sent from many, and
// lends the chunks back to the senders: a build then touches about 10 MB
// of rows (the chunks in flight) rather than a fresh 160 bytes for every
// row.
type collector struct {
	ch, free chan []backup.Record
	done     chan struct{}
}

func collect(sink Sink) *collector {
	c := &collector{ch: make(chan []backup.Record, 64), free: make(chan []backup.Record, 64+8), done: make(chan struct{})}
	go func() {
		for chunk := range c.ch {
			sink(chunk)
			select {
			case c.free <- chunk[:0]:
			default:
			}
		}
		close(c.done)
	}()
	return c
}

// chunk returns an empty chunk to fill, a used one where there is one.
func (c *collector) chunk() []backup.Record {
	select {
	case chunk := <-c.free:
		return chunk
	default:
		return make([]backup.Record, 0, chunkSize)
	}
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
// wrong with some of them. The table is read straight from the file, with
// its -wal or hot -journal laid over it (sqlitedb.Pending), by parallel
// workers (meta/sqlitefile); a file that reader cannot take is read
// through SQLite on a private copy.
//
// With keys, each file's wrapped EncryptionKey is kept (encrypted backups).
//
// A file neither can read through (truncated, or with a damaged b-tree) is
// carved: every page that holds Files rows gives them, and the problems
// say so. Only a file with no row to be found at all is an error.
func ReadDB(path string, workers int, keys bool, sink Sink) ([]string, error) {
	workers = max(workers, 1)
	wal, journal := sqlitedb.Pending(path)
	problems, err := readFast(path, wal, journal, workers, keys, sink)
	if err != nil {
		problems, err = readSQLOrCarve(path, workers, keys, sink, err)
	}
	if err == nil && journal != "" {
		problems = append(problems, "Manifest.db has a hot rollback journal (a write to it was interrupted): read as it was before that write")
	}
	return problems, err
}

// readFast reads the rows with the parallel page reader. The table is
// found first, so that a file it cannot take gives an error before any
// row has reached the sink; so does a b-tree it cannot walk.
func readFast(path, wal, journal string, workers int, keys bool, sink Sink) ([]string, error) {
	done, db, table, where, err := openFile(path, wal, journal)
	if err != nil {
		return nil, err
	}
	defer done()
	return readFile(db, table, where, workers, keys, sink)
}

// readSQLOrCarve reads the Files table through SQLite; where SQLite stops
// at damage, the rows it has not given are carved from the file's pages.
// fastErr is why the fast reader was not used, for the report.
func readSQLOrCarve(path string, workers int, keys bool, sink Sink, fastErr error) ([]string, error) {
	sent := map[backup.ID]bool{}
	problems, read, err := readSQL(path, workers, keys, func(chunk []backup.Record) {
		for i := range chunk {
			sent[chunk[i].ID] = true
		}
		sink(chunk)
	})
	if err == nil {
		return problems, nil
	}
	if fastErr != nil {
		err = fmt.Errorf("%w (and %v)", err, fastErr)
	}
	carved, carveProblems, cerr := carveDB(path, keys, sent, sink)
	if cerr == nil && read+carved == 0 {
		cerr = errors.New("no row found in any page")
	}
	if cerr != nil {
		return nil, fmt.Errorf("%w; carving its pages: %v", err, cerr)
	}
	problems = append(problems, carveProblems...)
	problems = append(problems, fmt.Sprintf("Manifest.db is damaged (%v): %d rows read, %d more carved from its pages; payloads no row names are in recovered/", err, read, carved))
	return problems, nil
}

// carveDB sends every Files row found in any page of the file (sqlitefile
// Carve) that is not in skip, each fileID once, and says how many.
func carveDB(path string, keys bool, skip map[backup.ID]bool, sink Sink) (int, []string, error) {
	f, err := srcdir.OpenFile(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	db := sqlitefile.OpenDamaged(f, st.Size())
	// The columns where the schema says, if it can still be read.
	where := []int{0, 1, 2, 3, 4}
	if table, err := db.Table("Files"); err == nil {
		for i, name := range manifestColumns {
			if j := slices.IndexFunc(table.Columns, func(c string) bool { return strings.EqualFold(c, name) }); j >= 0 {
				where[i] = j
			}
		}
	}
	out := collect(sink)
	var chunk []backup.Record
	var problems []string
	var vals []sqlitefile.Value
	dec := mbfile.Decoder{WithKey: keys}
	n := 0
	err = db.Carve(func(rec []byte) error {
		var err error
		if vals, err = sqlitefile.Values(rec, vals); err != nil || len(vals) <= slices.Max(where) {
			return nil
		}
		col := func(i int) sqlitefile.Value { return vals[where[i]] }
		id, flags, domain := col(0).Bytes(), col(3), col(1).Bytes()
		var parsed backup.ID
		if _, isInt := flags.Int(); !isInt || len(domain) == 0 || len(id) != 40 || hexDecode(parsed[:], id) != nil || skip[parsed] {
			return nil // not a Files row (another table's), or sent already
		}
		f, _ := flags.Int()
		r, problem := decodeRow(&dec, id, string(domain), string(col(2).Bytes()), f, col(4).Bytes())
		if problem != "" {
			problems = append(problems, problem)
		}
		r.Carved = true
		skip[parsed] = true
		if chunk == nil {
			chunk = out.chunk()
		}
		chunk = append(chunk, r)
		n++
		if len(chunk) == chunkSize {
			out.send(chunk)
			chunk = nil
		}
		return nil
	})
	out.send(chunk)
	out.wait()
	return n, problems, err
}

func hexDecode(dst, src []byte) error {
	_, err := hex.Decode(dst, src)
	return err
}

// manifestColumns are the Files columns we read, in our order.
var manifestColumns = [...]string{"fileID", "domain", "relativePath", "flags", "file"}

// openFile opens the database at path with its write-ahead log or hot
// journal (each "" for none) laid over it, and finds the Files table.
func openFile(path, wal, journal string) (done func(), db *sqlitefile.DB, table *sqlitefile.Table, where []int, err error) {
	db, done, err = sqlitedb.OpenInPlace(path, wal, journal)
	if err == nil {
		table, err = db.Table("Files")
	}
	if err == nil {
		where = make([]int, len(manifestColumns))
		for i, name := range manifestColumns {
			where[i] = slices.IndexFunc(table.Columns, func(c string) bool { return strings.EqualFold(c, name) })
			if where[i] < 0 {
				err = fmt.Errorf("Files has no column %s", name)
			}
		}
	}
	if err != nil {
		done()
		return nil, nil, nil, nil, err
	}
	return done, db, table, where, nil
}

func readFile(db *sqlitefile.DB, table *sqlitefile.Table, where []int, workers int, keys bool, sink Sink) ([]string, error) {
	type state struct {
		chunk    []backup.Record
		problems []string
		lost     []string // why parts of the table could not be read
		vals     []sqlitefile.Value
		domains  map[string]string // interned: a few hundred domains, 100k+ rows
		dec      mbfile.Decoder
	}
	states := make([]state, workers)
	for i := range states {
		states[i].domains = make(map[string]string)
		states[i].dec.WithKey = keys
	}
	out := collect(sink)
	err := db.Scan(table.Root, workers, func(w int, rec []byte, rowErr error) error {
		st := &states[w]
		if rowErr != nil {
			st.lost = append(st.lost, rowErr.Error())
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
		r, problem := decodeRow(&st.dec, col(0).Bytes(), domain, string(col(2).Bytes()), flags, col(4).Bytes())
		if problem != "" {
			st.problems = append(st.problems, problem)
		}
		if st.chunk == nil {
			st.chunk = out.chunk()
		}
		st.chunk = append(st.chunk, r)
		if len(st.chunk) == chunkSize {
			out.send(st.chunk)
			st.chunk = nil
		}
		return nil
	})
	var problems, lost []string
	for _, st := range states {
		out.send(st.chunk)
		problems = append(problems, st.problems...)
		lost = append(lost, st.lost...)
	}
	out.wait()
	if len(lost) > 0 {
		problems = append(problems, lostLine(lost))
	}
	return problems, err
}

// lostLine says in one line that rows were lost, and where: a truncated
// file loses hundreds of pages, each with its own error.
func lostLine(lost []string) string {
	slices.Sort(lost)
	const shown = 3
	line := fmt.Sprintf("Manifest.db: rows lost: %d parts of the Files table could not be read (%s", len(lost), strings.Join(lost[:min(shown, len(lost))], "; "))
	if len(lost) > shown {
		line += "; ..."
	}
	return line + "); payloads no row names are in recovered/"
}

type rawRow struct {
	id           []byte
	domain, path string
	flags        int64
	blob         []byte
}

// readSQL reads the Files table through SQLite, and says how many rows
// reached the sink; err says why reading stopped early, if it did.
func readSQL(path string, workers int, keys bool, sink Sink) (problems []string, read int, err error) {
	db, cleanup, err := sqlitedb.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer cleanup()
	defer db.Close()
	if err := sqlitedb.Table(db, "Files"); err != nil {
		return nil, 0, err
	}
	rows, done, err := sqlitedb.Query(db, `SELECT fileID, domain, relativePath, flags, file FROM Files`)
	if err != nil {
		return nil, 0, err
	}
	defer done()
	defer rows.Close()

	out := collect(sink)
	batches := make(chan []rawRow, workers*2)
	byWorker := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			dec := mbfile.Decoder{WithKey: keys}
			for b := range batches {
				chunk := out.chunk()
				for _, row := range b {
					r, problem := decodeRow(&dec, row.id, row.domain, row.path, row.flags, row.blob)
					chunk = append(chunk, r)
					if problem != "" {
						byWorker[w] = append(byWorker[w], problem)
					}
				}
				out.send(chunk)
			}
		})
	}
	domains := make(map[string]string)
	var scanErr error
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
	if scanErr == nil {
		scanErr = rows.Err()
	}
	return slices.Concat(byWorker...), read, scanErr
}

// decodeRow turns one Files row into a Record, and says what was wrong
// with it, if anything.
func decodeRow(dec *mbfile.Decoder, idHex []byte, domain, path string, flags int64, blob []byte) (backup.Record, string) {
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
		rec.File, err = dec.Decode(blob)
	}
	if err != nil {
		rec.File = mbfile.File{}
		rec.Damaged = true
		problem = fmt.Sprintf("Manifest.db: %s-%s (%s): file metadata unreadable: %v", domain, path, id, err)
	}
	return rec, problem
}
