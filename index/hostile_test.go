//go:build unix

package index

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// Each hostile source builds within a few seconds, says what is wrong in
// one line, and the rest of its tree reads: nothing blocks on a FIFO,
// follows a symlink out of the backup, or reads a device.
func TestHostileSources(t *testing.T) {
	for _, h := range fixture.HostileBackups() {
		t.Run(h.Name, func(t *testing.T) {
			b, err := fixture.Sample(false)
			dir := fixture.WriteTemp(t, b, err)
			if err := h.Apply(dir); err != nil {
				t.Fatal(err)
			}
			done := make(chan *Tree, 1)
			go func() { done <- backupTree(t, dir) }()
			var tree *Tree
			select {
			case tree = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the build did not end in 10 s")
			}
			if !hasProblem(tree, h.Problem) {
				t.Errorf("no problem line with %q:\n%s", h.Problem, strings.Join(tree.Summary().Problems, "\n"))
			}
			if h.Shows != "" {
				if tree.Root.Walk(h.Shows) == nil {
					t.Errorf("%s is not there", h.Shows)
				}
				return
			}
			n := tree.Root.Walk("files/HomeDomain/Documents/dup.txt")
			if n == nil {
				t.Fatal("the rest of the tree is gone")
			}
			r, err := n.Content.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := make([]byte, 6)
			if _, err := r.ReadAt(got, 0); err != nil || string(got) != "first\n" {
				t.Errorf("dup.txt reads %q, %v", got, err)
			}
		})
	}
}

// A photo library whose asset table is an endless view (a backup is data:
// its queries are not run) gives a problem line at once; the photos are
// still shown, dated from their files.
func TestEndlessViewInPhotoLibrary(t *testing.T) {
	b, err := fixture.Camera(10, true, false)
	if err != nil {
		t.Fatal(err)
	}
	lib := slices.IndexFunc(b.Entries, func(e fixture.Entry) bool { return strings.HasSuffix(e.Path, "Photos.sqlite") })
	b.Entries[lib].Data, err = fixture.EditSQLite(b.Entries[lib].Data, `DROP TABLE ZASSET;
CREATE VIEW ZASSET AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM r) SELECT x AS Z_PK, x AS ZDATECREATED FROM r;`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *Tree, 1)
	go func() { done <- backupTree(t, fixture.WriteTemp(t, b, nil)) }()
	select {
	case tree := <-done:
		if !hasProblem(tree, "ZASSET is a view, not a table") {
			t.Errorf("no problem line for the view: %q", tree.Summary().Problems)
		}
		if tree.Root.Walk("by-date/2020_01") == nil {
			t.Error("the photos are not shown")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the build did not end in 20 s")
	}
}
