package sqlitefile

import (
	"bytes"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"
)

// makeDB writes a database with SQLite itself: enough rows for a b-tree of
// several levels, values of every storage class, and blobs that spill into
// overflow pages.
func makeDB(t testing.TB, pageSize, rows int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmts := []string{
		fmt.Sprintf("PRAGMA page_size=%d", pageSize),
		"CREATE TABLE other (x)",
		"CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, n INTEGER, f REAL, b BLOB, CHECK (n >= -(1 << 60)))",
		"CREATE INDEX FilesDomain ON Files(domain)",
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := db.Begin()
	for i := range rows {
		var blob any = bytes.Repeat([]byte{byte(i)}, i%7*900+1) // 1 to 5,401 bytes
		if i%11 == 0 {
			blob = nil
		}
		n := []int64{0, 1, -1, 127, -129, 40000, -3_000_000, 1 << 40, -(1 << 50), int64(i)}[i%10]
		if _, err := tx.Exec("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", fmt.Sprintf("id%06d", i), fmt.Sprintf("Dömain-%d", i%5), n, float64(i)/4, blob); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return p
}

type row struct {
	id, domain string
	n          int64
	b          []byte
	null       bool
}

func viaSQL(t *testing.T, p string) []row {
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query("SELECT fileID, domain, n, b FROM Files")
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var b []byte
		if err := rs.Scan(&r.id, &r.domain, &r.n, &b); err != nil {
			t.Fatal(err)
		}
		r.b, r.null = b, b == nil
		out = append(out, r)
	}
	return out
}

func viaFile(t *testing.T, p string, workers int) []row {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	db, err := Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	tab, err := db.Table("files") // names match case-insensitively, as in SQL
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.Columns, []string{"fileID", "domain", "n", "f", "b"}) {
		t.Fatalf("columns = %v", tab.Columns)
	}
	var mu sync.Mutex
	var out []row
	err = db.Scan(tab.Root, workers, func(w int, rec []byte, rowErr error) error {
		if rowErr != nil {
			return rowErr
		}
		v, err := Values(rec, nil)
		if err != nil {
			return err
		}
		n, _ := v[2].Int()
		r := row{id: v[0].Text(), domain: v[1].Text(), n: n, b: slices.Clone(v[4].Bytes()), null: v[4].IsNull()}
		mu.Lock()
		out = append(out, r)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortRows(r []row) []row {
	slices.SortFunc(r, func(a, b row) int {
		if a.id < b.id {
			return -1
		}
		if a.id > b.id {
			return 1
		}
		return 0
	})
	return r
}

func TestMatchesSQLite(t *testing.T) {
	for _, pageSize := range []int{512, 4096, 65536} {
		p := makeDB(t, pageSize, 3000)
		want := sortRows(viaSQL(t, p))
		for _, workers := range []int{1, 3} {
			got := sortRows(viaFile(t, p, workers))
			if len(got) != len(want) {
				t.Fatalf("page %d: %d rows, want %d", pageSize, len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if g.id != w.id || g.domain != w.domain || g.n != w.n || !bytes.Equal(g.b, w.b) || g.null != w.null {
					t.Fatalf("page %d row %d: got %s %s %d %d bytes null %v, want %s %s %d %d bytes null %v", pageSize, i, g.id, g.domain, g.n, len(g.b), g.null, w.id, w.domain, w.n, len(w.b), w.null)
				}
			}
		}
	}
}

func TestRejects(t *testing.T) {
	p := makeDB(t, 4096, 10)
	data, _ := os.ReadFile(p)
	if _, err := Open(bytes.NewReader([]byte("not a database at all, not at all, no no no no no no no no no no no no no no no no no no no no no no no")), 100); err == nil {
		t.Error("garbage opened")
	}
	db, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Table("Nope"); err == nil {
		t.Error("a missing table was found")
	}
}

// FuzzScan damages a real database anywhere: scanning must end, with or
// without errors, and never panic.
func FuzzScan(f *testing.F) {
	p := makeDB(f, 512, 200)
	data, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(0, byte(0), 0)
	f.Add(100, byte(5), 1)
	f.Add(600, byte(0xff), 2)
	f.Fuzz(func(t *testing.T, off int, val byte, trunc int) {
		b := slices.Clone(data)
		if off >= 0 && off < len(b) {
			b[off] = val
		}
		if trunc > 0 && trunc < len(b) {
			b = b[:len(b)-trunc*97%len(b)]
		}
		db, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		tab, err := db.Table("Files")
		if err != nil {
			return
		}
		db.Scan(tab.Root, 2, func(w int, rec []byte, rowErr error) error {
			if rowErr == nil {
				Values(rec, nil)
			}
			return nil
		})
		db.Tables()
		OpenDamaged(bytes.NewReader(b), int64(len(b))).Carve(func(rec []byte) error {
			Values(rec, nil)
			return nil
		})
	})
}

// TestCarve destroys the table's root page:
// the b-tree cannot be walked, but every leaf still gives its rows.
func TestCarve(t *testing.T) {
	p := makeDB(t, 1024, 300)
	want := viaSQL(t, p)
	data, _ := os.ReadFile(p)
	db, err := Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := db.Table("Files")
	if err != nil {
		t.Fatal(err)
	}
	carve := func(b []byte) []row {
		var got []row
		err := OpenDamaged(bytes.NewReader(b), int64(len(b))).Carve(func(rec []byte) error {
			v, err := Values(rec, nil)
			if err != nil || len(v) != 5 || !strings.HasPrefix(v[0].Text(), "id") {
				return nil // a row of the other table, or of the schema
			}
			n, _ := v[2].Int()
			got = append(got, row{id: v[0].Text(), domain: v[1].Text(), n: n, b: slices.Clone(v[4].Bytes()), null: v[4].IsNull()})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return sortRows(got)
	}
	if got := carve(data); !slices.EqualFunc(got, sortRows(want), rowEqual) {
		t.Fatalf("carving an intact file: %d rows, want %d", len(got), len(want))
	}
	broken := slices.Clone(data)
	copy(broken[int(tab.Root-1)*1024:int(tab.Root)*1024], bytes.Repeat([]byte{0xA5}, 1024))
	bdb, _ := Open(bytes.NewReader(broken), int64(len(broken)))
	if err := bdb.Scan(tab.Root, 1, func(int, []byte, error) error { return nil }); err == nil {
		t.Fatal("the broken root page still walks")
	}
	if got := carve(broken); !slices.EqualFunc(got, sortRows(want), rowEqual) {
		t.Errorf("carving past a destroyed root: %d rows, want %d", len(got), len(want))
	}
}

func rowEqual(a, b row) bool {
	return a.id == b.id && a.domain == b.domain && a.n == b.n && bytes.Equal(a.b, b.b) && a.null == b.null
}
