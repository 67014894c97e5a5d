// Package manifest reads the two manifest formats of iPhone backups:
// Manifest.db (iOS 10+, SQLite with MBFile blobs) and Manifest.mbdb (iOS 5-9).
package manifest

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/mbfile"
	_ "modernc.org/sqlite"
)

// Result is what a manifest yields: its rows, in no particular order, and
// what was wrong with some of them.
type Result struct {
	Records  []backup.Record
	Problems []string
}

// OpenSQLite opens a SQLite database that belongs to a source, never writing
// next to it: with a -wal beside it, db and wal are copied into a private
// folder (which the caller removes with cleanup) so the WAL's rows are seen;
// without one, the file is opened immutable, which takes no locks and
// creates no -shm.
func OpenSQLite(path string) (db *sql.DB, cleanup func(), err error) {
	cleanup = func() {}
	open := path
	query := "mode=ro&immutable=1"
	if _, err := os.Lstat(path + "-wal"); err == nil {
		tmp, err := os.MkdirTemp("", "iosphotofs-db-")
		if err != nil {
			return nil, cleanup, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		open = filepath.Join(tmp, filepath.Base(path))
		for _, suffix := range []string{"", "-wal"} {
			if err := copyFile(path+suffix, open+suffix); err != nil {
				cleanup()
				return nil, func() {}, err
			}
		}
		query = "mode=rw"
	}
	u := url.URL{Scheme: "file", Path: open, RawQuery: query}
	db, err = sql.Open("sqlite", u.String())
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
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

type rawRow struct {
	id, domain, path string
	flags            int64
	blob             []byte
}

const batchSize = 2048

// ReadDB reads every row of a Manifest.db. MBFile blobs are decoded by
// workers while SQLite is still being scanned.
func ReadDB(path string, workers int) (*Result, error) {
	db, cleanup, err := OpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("Manifest.db: %w", err)
	}
	defer cleanup()
	defer db.Close()
	rows, err := db.Query(`SELECT fileID, domain, relativePath, flags, file FROM Files`)
	if err != nil {
		return nil, fmt.Errorf("Manifest.db: %w", err)
	}
	defer rows.Close()

	batches := make(chan []rawRow, workers*2)
	results := make(chan *Result, workers*2)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for b := range batches {
				results <- decodeBatch(b)
			}
		})
	}
	total := &Result{}
	collected := make(chan struct{})
	go func() {
		for r := range results {
			total.Records = append(total.Records, r.Records...)
			total.Problems = append(total.Problems, r.Problems...)
		}
		close(collected)
	}()

	domains := make(map[string]string) // interned: a few hundred domains, 100k+ rows
	var scanErr error
	batch := make([]rawRow, 0, batchSize)
	for rows.Next() {
		var id, domain, rel sql.RawBytes
		var flags sql.NullInt64
		var blob sql.RawBytes
		if scanErr = rows.Scan(&id, &domain, &rel, &flags, &blob); scanErr != nil {
			break
		}
		d, ok := domains[string(domain)]
		if !ok {
			d = string(domain)
			domains[d] = d
		}
		batch = append(batch, rawRow{
			id: string(id), domain: d, path: string(rel), flags: flags.Int64,
			blob: append([]byte(nil), blob...),
		})
		if len(batch) == batchSize {
			batches <- batch
			batch = make([]rawRow, 0, batchSize)
		}
	}
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	close(results)
	<-collected
	if scanErr == nil {
		scanErr = rows.Err()
	}
	if scanErr != nil {
		// Rows read before a damaged page are still good: keep them.
		total.Problems = append(total.Problems, fmt.Sprintf("Manifest.db: reading stopped after %d rows: %v", len(total.Records), scanErr))
		if len(total.Records) == 0 {
			return nil, fmt.Errorf("Manifest.db: %w", scanErr)
		}
	}
	return total, nil
}

func decodeBatch(rows []rawRow) *Result {
	r := &Result{Records: make([]backup.Record, 0, len(rows))}
	for _, row := range rows {
		rec := backup.Record{Domain: row.domain, RelativePath: row.path, Flags: row.flags, Type: backup.TypeOfFlags(row.flags)}
		id, err := backup.ParseID(row.id)
		if err != nil {
			// The ID can be recomputed; the payload is found by it.
			id = backup.FileID(row.domain, row.path)
			r.Problems = append(r.Problems, fmt.Sprintf("Manifest.db: %s-%s: bad fileID %q, using %s", row.domain, row.path, row.id, id))
		}
		rec.ID = id
		if rec.Type != backup.Unknown {
			if len(row.blob) == 0 {
				err = errors.New("no MBFile data")
			} else {
				rec.File, err = mbfile.Decode(row.blob)
			}
			if err != nil {
				rec.File = mbfile.File{}
				rec.Damaged = true
				r.Problems = append(r.Problems, fmt.Sprintf("Manifest.db: %s-%s (%s): file metadata unreadable: %v", row.domain, row.path, id, err))
			}
		}
		r.Records = append(r.Records, rec)
	}
	return r
}
