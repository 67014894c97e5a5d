package manifest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/manifest"
)

func entries() []fixture.Entry {
	return []fixture.Entry{
		{Domain: "HomeDomain", Path: "", Flags: fixture.FlagDir, MTime: 10},
		{Domain: "HomeDomain", Path: "Library/a.txt", Flags: fixture.FlagFile, Data: []byte("abc"), MTime: 11, CTime: 12, Birth: 13},
		{Domain: "RootDomain", Path: "link", Flags: fixture.FlagSymlink, Target: "/x/y", MTime: 14},
		{Domain: "HomeDomain", Path: "odd", Flags: 16, MTime: 15},
		{Domain: "MediaDomain", Path: "Library/é.txt", Flags: fixture.FlagFile, Data: []byte("é"), MTime: 16,
			Xattrs: map[string][]byte{"com.apple.assetsd.UUID": []byte("U")}},
	}
}

func byPath(recs []backup.Record) map[string]backup.Record {
	m := map[string]backup.Record{}
	for _, r := range recs {
		m[r.Domain+"-"+r.RelativePath] = r
	}
	return m
}

func checkRecords(t *testing.T, recs []backup.Record) {
	t.Helper()
	m := byPath(recs)
	if len(m) != 5 {
		t.Fatalf("got %d records, want 5", len(m))
	}
	a := m["HomeDomain-Library/a.txt"]
	if a.Type != backup.Regular || a.File.Size != 3 || a.File.LastModified != 11 || a.File.LastStatusChange != 12 || a.File.Birth != 13 {
		t.Errorf("a.txt = %+v", a)
	}
	if a.ID.String() != fixture.FileID("HomeDomain", "Library/a.txt") {
		t.Errorf("a.txt ID = %s", a.ID)
	}
	if l := m["RootDomain-link"]; l.Type != backup.Symlink || l.File.Target != "/x/y" {
		t.Errorf("link = %+v", l)
	}
	if d := m["HomeDomain-"]; d.Type != backup.Directory || d.File.LastModified != 10 {
		t.Errorf("domain root = %+v", d)
	}
	if o := m["HomeDomain-odd"]; o.Type != backup.Unknown {
		t.Errorf("odd = %+v", o)
	}
	if e := m["MediaDomain-Library/é.txt"]; string(e.File.PhotoXattrs["com.apple.assetsd.UUID"]) != "U" {
		t.Errorf("é.txt xattrs = %q", e.File.PhotoXattrs)
	}
}

// read collects what a reader sends to its sink.
func read(t *testing.T, f func(manifest.Sink) ([]string, error)) ([]backup.Record, []string) {
	t.Helper()
	var recs []backup.Record
	problems, err := f(func(chunk []backup.Record) { recs = append(recs, chunk...) })
	if err != nil {
		t.Fatal(err)
	}
	return recs, problems
}

func readDB(t *testing.T, path string) ([]backup.Record, []string) {
	return read(t, func(s manifest.Sink) ([]string, error) { return manifest.ReadDB(path, 2, false, s) })
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range des {
		names = append(names, d.Name())
	}
	return names
}

func TestReadDB(t *testing.T) {
	for _, walRows := range []int{0, 2} {
		dir := t.TempDir()
		b := &fixture.Backup{Entries: entries(), WALRows: walRows}
		if err := b.Write(dir); err != nil {
			t.Fatal(err)
		}
		before := listDir(t, dir)
		if walRows > 0 && !slices.Contains(before, "Manifest.db-wal") {
			t.Fatal("fixture left no -wal")
		}
		recs, _ := readDB(t, filepath.Join(dir, "Manifest.db"))
		checkRecords(t, recs) // with a WAL: rows only in the WAL are seen
		if after := listDir(t, dir); !slices.Equal(before, after) {
			t.Errorf("reading changed the folder: %v -> %v", before, after)
		}
	}
}

func TestReadDBRelativePath(t *testing.T) {
	dir := t.TempDir()
	if err := (&fixture.Backup{Entries: entries()}).Write(filepath.Join(dir, "b c")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	recs, _ := readDB(t, filepath.Join("b c", "Manifest.db"))
	checkRecords(t, recs)
}

func TestReadDBNotSQLite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "Manifest.db")
	os.WriteFile(p, []byte("this is not a database, just some text that is long enough"), 0o644)
	if _, err := manifest.ReadDB(p, 2, false, func([]backup.Record) {}); err == nil {
		t.Error("no error for a non-SQLite Manifest.db")
	}
}

// TestReadDBDamagedFile reads Manifest.db files whose Files root page is
// destroyed, or that are cut short: every row still held by a page is
// read, each once, and the problems say what was lost.
func TestReadDBDamagedFile(t *testing.T) {
	for _, c := range []struct {
		name    string
		d       fixture.Damage
		walRows int
		problem string // "" when nothing is lost
	}{
		// The tree cannot be walked: the rows are carved from the leaves.
		{"root destroyed", fixture.CorruptManifest, 0, "carved from its pages"},
		// The WAL holds a newer copy of the root page, and SQLite reads it.
		{"root destroyed, newer root in the WAL", fixture.CorruptManifest, 50, ""},
		// The tree walks; the leaves past the end are lost.
		{"truncated", fixture.TruncatedManifest, 0, "rows lost"},
	} {
		b, err := fixture.Damaged(c.d)
		if err != nil {
			t.Fatal(err)
		}
		b.WALRows = c.walRows
		dir := t.TempDir()
		if err := b.Write(dir); err != nil {
			t.Fatal(err)
		}
		recs, problems := readDB(t, filepath.Join(dir, "Manifest.db"))
		m := byPath(recs)
		if len(m) != len(recs) {
			t.Errorf("%s: %d records for %d paths: a row was sent twice", c.name, len(recs), len(m))
		}
		for _, r := range recs {
			if r.ID.String() != fixture.FileID(r.Domain, r.RelativePath) || r.Type != backup.Regular || r.Damaged {
				t.Errorf("%s: bad record %s-%s: %+v", c.name, r.Domain, r.RelativePath, r)
			}
		}
		switch {
		case c.d == fixture.TruncatedManifest && (len(recs) == 0 || len(recs) >= len(b.Entries)):
			t.Errorf("%s: %d rows of %d", c.name, len(recs), len(b.Entries))
		case c.d == fixture.CorruptManifest && len(recs) != len(b.Entries):
			t.Errorf("%s: %d rows, want %d", c.name, len(recs), len(b.Entries))
		}
		if n := len(slices.DeleteFunc(slices.Clone(problems), func(p string) bool { return !strings.Contains(p, "rows lost") })); n > 1 {
			t.Errorf("%s: %d lines say rows were lost, want one: %q", c.name, n, problems)
		}
		said := slices.ContainsFunc(problems, func(p string) bool { return c.problem != "" && strings.Contains(p, c.problem) })
		if said != (c.problem != "") || (c.problem == "" && len(problems) > 0) {
			t.Errorf("%s: problems %q, want one saying %q", c.name, problems, c.problem)
		}
		carved := slices.ContainsFunc(recs, func(r backup.Record) bool { return r.Carved })
		if carved != (c.problem == "carved from its pages") {
			t.Errorf("%s: carved rows %v", c.name, carved)
		}
	}
}

func mbdb(t testing.TB) []byte {
	dir := t.TempDir()
	b := &fixture.Backup{Legacy: true, Entries: entries()}
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "Manifest.mbdb"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseMBDB(t *testing.T) {
	data := mbdb(t)
	recs, problems := read(t, func(s manifest.Sink) ([]string, error) { return manifest.ParseMBDB(data, s) })
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	checkRecords(t, recs)
}

func TestParseMBDBTruncated(t *testing.T) {
	data := mbdb(t)
	recs, problems := read(t, func(s manifest.Sink) ([]string, error) { return manifest.ParseMBDB(data[:len(data)-10], s) })
	if len(recs) != 4 || len(problems) != 1 {
		t.Errorf("got %d records, problems %v; want the 4 whole records and one problem", len(recs), problems)
	}
	if _, err := manifest.ParseMBDB([]byte("mbdx\x05\x00"), func([]backup.Record) {}); err == nil {
		t.Error("bad magic accepted")
	}
}

func FuzzParseMBDB(f *testing.F) {
	f.Add(mbdb(f))
	f.Add([]byte("mbdb\x05\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		manifest.ParseMBDB(data, func([]backup.Record) {})
	})
}

// TestReadDBHotJournal reads a Manifest.db whose last write was cut short:
// the file holds part of it, and the rows are read as they were before it
// (SQLite rolls the journal back, on a private copy), with a problem line.
func TestReadDBHotJournal(t *testing.T) {
	dir := t.TempDir()
	if err := (&fixture.Backup{Entries: entries()}).Write(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "Manifest.db")
	if err := fixture.InterruptWrite(path, `UPDATE Files SET relativePath = 'half-written/' || fileID, file = NULL`); err != nil {
		t.Fatal(err)
	}
	// The file alone (what a reader ignoring the journal sees) is not the
	// committed manifest.
	raw := filepath.Join(t.TempDir(), "alone.db")
	file, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(raw, file, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	alone, _ := readDB(t, raw)
	if !slices.ContainsFunc(alone, func(r backup.Record) bool { return strings.HasPrefix(r.RelativePath, "half-written/") }) {
		t.Fatal("fixture: the file alone reads as the committed manifest")
	}
	before := listDir(t, dir)
	recs, problems := readDB(t, path)
	checkRecords(t, recs)
	if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, "hot rollback journal") }) {
		t.Errorf("problems do not name the journal: %q", problems)
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("reading changed the folder: %v -> %v", before, after)
	}
}

// A Manifest.db whose Files is an endless view is not run: it is read as
// a damaged one, at once, with a line that says why.
func TestReadDBFilesIsAView(t *testing.T) {
	dir := t.TempDir()
	if err := (&fixture.Backup{Entries: entries()}).Write(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "Manifest.db")
	db, err := os.ReadFile(path)
	if err == nil {
		db, err = fixture.EditSQLite(db, `PRAGMA journal_mode=DELETE; DROP TABLE Files;
CREATE VIEW Files AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r)
SELECT printf('%040d', x) AS fileID, 'HomeDomain' AS domain, 'x' || x AS relativePath, 1 AS flags, NULL AS file FROM r;`)
	}
	if err == nil {
		err = os.WriteFile(path, db, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() {
		problems, err := manifest.ReadDB(path, 2, false, func([]backup.Record) {})
		done <- fmt.Sprint(problems, err)
	}()
	select {
	case got := <-done:
		// Damaged, then: what its pages still hold is carved.
		if !strings.Contains(got, "Files is a view") {
			t.Errorf("got %s, want a line that names the view", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ReadDB did not end in 20 s")
	}
}
