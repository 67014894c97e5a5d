//go:build unix

package index

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/model"
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

// A manifest row with a negative size shows the payload's real size, and
// problems.txt says the manifest's was wrong.
func TestNegativeManifestSize(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(b.Entries, func(e fixture.Entry) bool { return e.Path == "Documents/notes.txt" })
	b.Entries[i].Size = -5
	tree := backupTree(t, fixture.WriteTemp(t, b, nil))
	n := tree.Root.Walk("files/AppDomain-com.example.notes/Documents/notes.txt")
	if n == nil {
		t.Fatal("not shown")
	}
	if size, err := model.SizeOf(n); err != nil || size != int64(len(b.Entries[i].Data)) {
		t.Errorf("size %d, %v; want %d", size, err, len(b.Entries[i].Data))
	}
	if !hasProblem(tree, "notes.txt: manifest -5 bytes") {
		t.Errorf("no problem line: %q", tree.Summary().Problems)
	}
}

// Names keep their bytes, but problems.txt and summary.txt print them
// escaped: a name cannot break a line or hide in a terminal.
func TestInfoFilesEscapeControlCharacters(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	b.DeviceName = "Evil\x1b[2J iPhone"
	b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/bad\x00name\x01.txt",
		Flags: fixture.FlagFile, Data: []byte("x"), MTime: fixture.T1})
	tree := backupTree(t, fixture.WriteTemp(t, b, nil))
	if tree.Root.Walk("files/HomeDomain/Library/bad_name\x01.txt") == nil {
		t.Error("the name did not keep its control character")
	}
	s := tree.Summary()
	for name, text := range map[string]string{"problems.txt": s.ProblemsText(), "summary.txt": s.Text()} {
		if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 && r != '\n' }) {
			t.Errorf("%s holds a control character:\n%q", name, text)
		}
	}
	if !strings.Contains(s.ProblemsText(), `bad\x00name\x01.txt`) {
		t.Errorf("the name is not shown escaped:\n%s", s.ProblemsText())
	}
}
