package sqlitedb

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testDB(t *testing.T, schema string) *sql.DB {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db.sqlite")
	if err := os.WriteFile(p, nil, 0o600); err != nil { // an empty database
		t.Fatal(err)
	}
	db, cleanup, err := open(p, "mode=rw", func() {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	return db
}

// A view where a table is expected is not read: its query is the file's
// code, and can run for ever.
func TestViewsAreNotRead(t *testing.T) {
	db := testDB(t, `CREATE TABLE real (a); INSERT INTO real VALUES (1);
CREATE VIEW endless AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT x AS a FROM r;`)
	if err := Table(db, "real"); err != nil {
		t.Errorf("a table: %v", err)
	}
	if err := Table(db, "missing"); err != ErrNoTable {
		t.Errorf("a missing table: %v", err)
	}
	err := SQL{db}.SelectExisting("endless", []string{"a"}, func([]any) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "endless is a view") {
		t.Errorf("a view: %v", err)
	}
}

// A query that runs longer than the bound is stopped with an error.
func TestQueryIsBounded(t *testing.T) {
	db := testDB(t, `CREATE TABLE t (a)`)
	defer func(d time.Duration) { queryTimeout = d }(queryTimeout)
	queryTimeout = 100 * time.Millisecond
	rows, done, err := Query(db, `WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT count(*) FROM r`)
	if err == nil {
		defer done()
		defer rows.Close()
		for rows.Next() {
		}
		err = rows.Err()
	}
	if err == nil {
		t.Error("an endless query ended without an error")
	}
}
