package index

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/crypt"
)

func sampleTree(t *testing.T, damage func(dir string)) *Tree {
	t.Helper()
	b, err := fixture.Sample(false)
	dir := fixture.WriteTemp(t, b, err)
	if damage != nil {
		damage(dir)
	}
	return backupTree(t, dir)
}

// backupTree builds the tree of the backup in dir.
func backupTree(t *testing.T, dir string) *Tree {
	t.Helper()
	bk, err := backup.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := FromBackup(bk, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func hasProblem(tree *Tree, substr string) bool {
	for _, p := range tree.Summary().Problems {
		if strings.Contains(p, substr) {
			return true
		}
	}
	return false
}

func TestDamagedRowStillShown(t *testing.T) {
	tree := sampleTree(t, func(dir string) {
		db, err := sql.Open("sqlite", filepath.Join(dir, "Manifest.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`UPDATE Files SET file = x'62706c6973743030ff' WHERE relativePath = 'Documents/dup.txt'`); err != nil {
			t.Fatal(err)
		}
	})
	n := tree.Root.Walk("files/HomeDomain/Documents/dup.txt")
	if n == nil {
		t.Fatal("damaged row not shown")
	}
	if size, err := model.SizeOf(n); size != int64(len("first\n")) || err != nil {
		t.Fatalf("damaged row: size %d, %v", size, err)
	}
	if n.Mtime != tree.Summary().Backup.LastBackup.Unix() {
		t.Errorf("damaged row mtime %d, want the backup date", n.Mtime)
	}
	if !hasProblem(tree, "Documents/dup.txt") {
		t.Errorf("no problem line: %v", tree.Summary().Problems)
	}
	// The rest is untouched.
	if tree.Root.Walk("files/HomeDomain/Library/SMS/sms.db") == nil {
		t.Error("sms.db lost")
	}
}

// The bytes on disk are the file: a payload whose size is not the
// manifest's is shown and read whole, and said so in info/.
func TestPayloadSizeIsTheFiles(t *testing.T) {
	notes := fixture.FileID("AppDomain-com.example.notes", "Documents/notes.txt")
	sms := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
	var smsBytes []byte
	tree := sampleTree(t, func(dir string) {
		if err := os.Truncate(filepath.Join(dir, notes[:2], notes), 3); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(filepath.Join(dir, sms[:2], sms), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(make([]byte, 4096)) // a page written after the manifest was
		f.Close()
		if smsBytes, err = os.ReadFile(filepath.Join(dir, sms[:2], sms)); err != nil {
			t.Fatal(err)
		}
	})
	for path, want := range map[string][]byte{
		"files/AppDomain-com.example.notes/Documents/notes.txt": []byte("buy"),
		"files/HomeDomain/Library/SMS/sms.db":                   smsBytes,
		"files/HomeDomain/Documents/dup.txt":                    []byte("first\n"),
	} {
		n := tree.Root.Walk(path)
		if n == nil {
			t.Fatalf("%s not shown", path)
		}
		if size, err := model.SizeOf(n); size != int64(len(want)) || err != nil {
			t.Errorf("%s: size %d, %v; want %d", path, size, err, len(want))
		}
		if got := readAll(t, n); string(got) != string(want) {
			t.Errorf("%s: read %d bytes, want %d", path, len(got), len(want))
		}
	}
	s := tree.Summary()
	if s.SizeDiffers != 2 {
		t.Errorf("SizeDiffers = %d, want 2", s.SizeDiffers)
	}
	for _, line := range []string{
		"size differs from the manifest: files/AppDomain-com.example.notes/Documents/notes.txt: manifest 9 bytes, payload 3 bytes",
		fmt.Sprintf("size differs from the manifest: files/HomeDomain/Library/SMS/sms.db: manifest %d bytes, payload %d bytes", len(smsBytes)-4096, len(smsBytes)),
	} {
		if !slices.Contains(s.Problems, line) {
			t.Errorf("no line %q in %q", line, s.Problems)
		}
	}
	// Once shown, a size stays: a payload changed since is refused.
	n := tree.Root.Walk("files/AppDomain-com.example.notes/Documents/notes.txt")
	if err := os.Truncate(filepath.Join(s.Source, notes[:2], notes), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Content.Open(); !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "has 1 bytes, when first looked at it had 3") {
		t.Errorf("Open = %v, want EIO naming both sizes", err)
	}
}

// readAll reads a file of the tree whole, as stat sizes it.
func readAll(t *testing.T, n *model.Node) []byte {
	t.Helper()
	size, err := model.SizeOf(n)
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Content.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, size)
	k, err := r.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		t.Fatalf("%s: read %d bytes: %v", n.Name, k, err)
	}
	return buf[:k]
}

func TestEncryptedBackup(t *testing.T) {
	const password = "pass wörd!" // a space, a non-ASCII letter and '!'
	// Modern with and without iOS 10.2's extra round, and legacy (mbdb:
	// plain manifest, encrypted payloads, no extra round).
	for _, kind := range []struct{ legacy, noDPSL bool }{{false, false}, {false, true}, {true, true}} {
		b, err := fixture.Sample(kind.legacy)
		if err != nil {
			t.Fatal(err)
		}
		b.Encrypted, b.Password, b.NoDPSL = true, password, kind.noDPSL
		// Edited after the backup was made: the manifest's size is stale.
		edited := []byte("a note that grew after the manifest was written")
		b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/Edited.txt", Flags: fixture.FlagFile, Data: edited, Size: 5})
		dir := t.TempDir()
		if err := b.Write(dir); err != nil {
			t.Fatal(err)
		}
		bk, err := backup.Detect(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := FromBackup(bk, Options{}); !errors.Is(err, ErrPasswordNeeded) {
			t.Errorf("no password: %v", err)
		}
		if _, err := FromBackup(bk, Options{Password: []byte("pass word!")}); !errors.Is(err, crypt.ErrWrongPassword) {
			t.Errorf("wrong password: %v", err)
		}
		leftovers := func() int {
			m, _ := filepath.Glob(filepath.Join(os.TempDir(), "iosphotofs-manifest-*"))
			return len(m)
		}
		before := leftovers()
		key, err := DeriveKey(bk, []byte(password))
		if err != nil {
			t.Fatal(err)
		}
		for _, opt := range []Options{{Password: []byte(password)}, {Key: key}} {
			tree, err := FromBackup(bk, opt)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, e := range b.Entries {
				if e.Flags != fixture.FlagFile || e.NoPayload || strings.Contains(e.Path, "..") {
					continue
				}
				n := tree.Root.Walk("files/" + e.Domain + "/" + e.Path)
				if n == nil || n.Content == nil {
					continue // renamed by a collision: TestMountSample covers names
				}
				if got := readAll(t, n); string(got) != string(e.Data) {
					t.Errorf("%s: %d bytes: plaintext differs", e.Path, len(got))
				}
				checked++
			}
			if checked < 8 {
				t.Errorf("only %d files checked", checked)
			}
			if got := readAll(t, tree.Root.Walk("files/HomeDomain/Library/Edited.txt")); string(got) != string(edited) {
				t.Errorf("a payload longer than its manifest size: read %q", got)
			}
			if !hasProblem(tree, fmt.Sprintf("Library/Edited.txt: manifest 5 bytes, payload %d bytes", len(edited))) {
				t.Errorf("the stale size is not reported: %q", tree.Summary().Problems)
			}
			// An orphan payload has no key: shown as it is, and said so.
			orphan := "recovered/other-data/" + fixture.FileID("HomeDomain", "Library/Orphan.bin") + ".encrypted"
			if tree.Root.Walk(orphan) == nil || !hasProblem(tree, "so without its key") {
				t.Errorf("the orphan is not at %s, or not reported: %q", orphan, tree.Summary().Problems)
			}
		}
		if leftovers() != before {
			t.Error("a decrypted Manifest.db was left in the temp folder")
		}
		if kind.legacy {
			continue
		}
		// A payload cut short serves what decrypts, and says so.
		id := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
		if err := os.Truncate(filepath.Join(dir, id[:2], id), 4096+5); err != nil {
			t.Fatal(err)
		}
		tree, err := FromBackup(bk, Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		n := tree.Root.Walk("files/HomeDomain/Library/SMS/sms.db")
		if got := readAll(t, n); len(got) != 4096 || string(got) != string(smsData(b)[:4096]) {
			t.Errorf("a truncated payload: %d bytes", len(got))
		}
		if !hasProblem(tree, fmt.Sprintf("files/HomeDomain/Library/SMS/sms.db: manifest %d bytes, payload 4096 bytes", len(smsData(b)))) {
			t.Errorf("the cut is not reported: %q", tree.Summary().Problems)
		}
		// Without Manifest.plist nothing says it is encrypted.
		os.Remove(filepath.Join(dir, "Manifest.plist"))
		if bk, err = backup.Detect(dir); err == nil {
			_, err = FromBackup(bk, Options{})
		}
		if err == nil || !strings.Contains(err.Error(), "looks encrypted") {
			t.Errorf("encrypted Manifest.db without Manifest.plist: %v", err)
		}
	}
}

func smsData(b *fixture.Backup) []byte {
	for _, e := range b.Entries {
		if e.Path == "Library/SMS/sms.db" {
			return e.Data
		}
	}
	return nil
}

// TestHotJournalRolledBack reads a camera roll whose Photos.sqlite was
// caught in the middle of a write that deleted its albums: the library is
// read as it was before that write, and info/ says which journal is hot.
func TestHotJournalRolledBack(t *testing.T) {
	build := func(withJournal bool) *Tree {
		b, err := fixture.Camera(30, true, false)
		if err != nil {
			t.Fatal(err)
		}
		lib := slices.IndexFunc(b.Entries, func(e fixture.Entry) bool { return strings.HasSuffix(e.Path, "Photos.sqlite") })
		file, journal, err := fixture.InterruptedWrite(b.Entries[lib].Data, `DELETE FROM ZGENERICALBUM`)
		if err != nil {
			t.Fatal(err)
		}
		b.Entries[lib].Data = file
		if withJournal {
			j := b.Entries[lib]
			j.Path += "-journal"
			j.Data = journal
			b.Entries = append(b.Entries, j)
		}
		return backupTree(t, fixture.WriteTemp(t, b, nil))
	}
	if build(false).Root.Walk("by-album/Album 0") != nil {
		t.Fatal("fixture: the interrupted write left the album in the file")
	}
	tree := build(true)
	if tree.Root.Walk("by-album/Album 0") == nil {
		t.Error("the journal was not rolled back: by-album/Album 0 is missing")
	}
	if !hasProblem(tree, "hot rollback journal: files/CameraRollDomain/Media/PhotoData/Photos.sqlite-journal") {
		t.Errorf("problems do not name the journal: %q", tree.Summary().Problems)
	}
}

// The decisions a user may need to see are logged at debug level: which
// date each photo got, and from where.
func TestDecisionsLogged(t *testing.T) {
	b, err := fixture.Sample(false)
	bk, err := backup.Detect(fixture.WriteTemp(t, b, err))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := FromBackup(bk, Options{Log: log}); err != nil {
		t.Fatal(err)
	}
	want := `file=files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG taken="2021-01-17 17:44:01" from="xattr customCreationDate"`
	if !strings.Contains(out.String(), want) {
		t.Errorf("the debug log does not say where the photo's date came from:\n%s", out.String())
	}
}
