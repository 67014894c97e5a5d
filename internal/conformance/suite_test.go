//go:build linux

package conformance

import (
	"bytes"
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/extract"
	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// recorder is a T that keeps what a check says instead of failing.
type recorder struct {
	mu      sync.Mutex
	errs    []string
	skipped bool
	tb      testing.TB
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	runtime.Goexit()
}

func (r *recorder) TempDir() string { return r.tb.TempDir() }

// findings runs one check and returns what it reported.
func findings(t *testing.T, c check, nodes map[string]*model.Node, dir string, want map[string][]byte) []string {
	r := &recorder{tb: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(r, nodes, dir, want)
	}()
	<-done
	if r.skipped {
		t.Fatalf("%s skipped", c.name)
	}
	return r.errs
}

// Each check finds the fault it is there for: the extract of a backup
// passes every check, and each fault made in a copy of it is reported by
// the check that looks at it.
func TestChecksFindFaults(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	db, wal, err := fixture.WALDatabase(`CREATE TABLE t (x); INSERT INTO t VALUES ('file')`, `INSERT INTO t VALUES ('wal')`)
	if err != nil {
		t.Fatal(err)
	}
	b.Entries = append(b.Entries,
		fixture.Entry{Domain: "HomeDomain", Path: "Library/w.db", Flags: fixture.FlagFile, Data: db, MTime: fixture.T1},
		fixture.Entry{Domain: "HomeDomain", Path: "Library/w.db-wal", Flags: fixture.FlagFile, Data: wal, MTime: fixture.T1})
	bk, err := backup.Detect(fixture.WriteTemp(t, b, nil))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := index.FromBackup(bk, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	model := flatten(tree.Root)
	want := map[string][]byte{"files/HomeDomain/Documents/dup.txt": []byte("first\n")}
	served := func(t *testing.T) string {
		dest := filepath.Join(t.TempDir(), "out")
		if _, err := extract.Run(tree.Tree, dest, extract.Options{}); err != nil {
			t.Fatal(err)
		}
		return dest
	}
	t.Run("none", func(t *testing.T) {
		dir := served(t)
		for _, c := range checks {
			got := findings(t, c, model, dir, want)
			if c.name == "read-only" {
				if len(got) == 0 {
					t.Error("read-only: a writable folder passed")
				}
			} else if len(got) > 0 {
				t.Errorf("%s: %q", c.name, got)
			}
		}
	})
	const text = "files/HomeDomain/Documents/dup.txt"
	for _, f := range []struct {
		check string
		fault func(dir string) error
	}{
		{"listing", func(dir string) error { return os.Remove(filepath.Join(dir, text)) }},
		{"listing", func(dir string) error { return os.WriteFile(filepath.Join(dir, "files/extra.txt"), nil, 0o644) }},
		{"listing", func(dir string) error { return os.Chmod(filepath.Join(dir, text), 0o600) }},
		{"listing", func(dir string) error { return os.Chtimes(filepath.Join(dir, text), time.Time{}, time.Unix(1, 0)) }},
		{"listing", func(dir string) error { return os.Mkdir(filepath.Join(dir, "files/HomeDomain/Documents/sub"), 0o755) }},
		{"bytes", func(dir string) error { return os.WriteFile(filepath.Join(dir, text), []byte("FIRST\n"), 0o644) }},
		{"sqlite-wal", func(dir string) error { return os.Truncate(filepath.Join(dir, "files/HomeDomain/Library/w.db-wal"), 0) }},
		{"parallel-reads", func(dir string) error {
			p, data := largestFile(model)
			data = bytes.Clone(data)
			data[len(data)/2] ^= 1
			return os.WriteFile(filepath.Join(dir, p), data, 0o644)
		}},
	} {
		t.Run(f.check, func(t *testing.T) {
			dir := served(t)
			if err := f.fault(dir); err != nil {
				t.Fatal(err)
			}
			i := 0
			for checks[i].name != f.check {
				i++
			}
			if got := findings(t, checks[i], model, dir, want); len(got) == 0 {
				t.Errorf("%s: no fault found", f.check)
			} else {
				t.Logf("%s", strings.Join(got, "\n"))
			}
		})
	}
}
