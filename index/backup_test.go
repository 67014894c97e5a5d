package index

import (
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
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
	for _, p := range tree.Summary.Problems {
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
	if n == nil || n.Size != int64(len("first\n")) {
		t.Fatalf("damaged row: node %+v", n)
	}
	if n.Mtime != tree.Summary.Backup.LastBackup.Unix() {
		t.Errorf("damaged row mtime %d, want the backup date", n.Mtime)
	}
	if !hasProblem(tree, "Documents/dup.txt") {
		t.Errorf("no problem line: %v", tree.Summary.Problems)
	}
	// The rest is untouched.
	if tree.Root.Walk("files/HomeDomain/Library/SMS/sms.db") == nil {
		t.Error("sms.db lost")
	}
}

func TestShortPayloadIsRefused(t *testing.T) {
	id := fixture.FileID("AppDomain-com.example.notes", "Documents/notes.txt")
	tree := sampleTree(t, func(dir string) {
		if err := os.Truncate(filepath.Join(dir, id[:2], id), 3); err != nil {
			t.Fatal(err)
		}
	})
	n := tree.Root.Walk("files/AppDomain-com.example.notes/Documents/notes.txt")
	if n == nil || n.Size != int64(len("buy milk\n")) {
		t.Fatalf("node %+v, want the manifest's size", n)
	}
	_, err := n.Content.Open()
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "has 3 bytes, the manifest says 9") {
		t.Errorf("Open = %v, want EIO naming both sizes", err)
	}
	if r, err := tree.Root.Walk("files/HomeDomain/Documents/dup.txt").Content.Open(); err != nil {
		t.Errorf("an intact payload: %v", err)
	} else {
		r.Close()
	}
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
				r, err := n.Content.Open()
				if err != nil {
					t.Fatalf("%s: %v", e.Path, err)
				}
				got := make([]byte, n.Size)
				if k, err := r.ReadAt(got, 0); k != len(got) || (err != nil && err != io.EOF) || string(got) != string(e.Data) {
					t.Errorf("%s: %d bytes, %v: plaintext differs", e.Path, k, err)
				}
				r.Close()
				checked++
			}
			if checked < 8 {
				t.Errorf("only %d files checked", checked)
			}
			// An orphan payload has no key: shown as it is, and said so.
			orphan := "recovered/other-data/" + fixture.FileID("HomeDomain", "Library/Orphan.bin") + ".encrypted"
			if tree.Root.Walk(orphan) == nil || !hasProblem(tree, "so without its key") {
				t.Errorf("the orphan is not at %s, or not reported: %q", orphan, tree.Summary.Problems)
			}
		}
		if leftovers() != before {
			t.Error("a decrypted Manifest.db was left in the temp folder")
		}
		if kind.legacy {
			continue
		}
		// A payload cut short serves what it holds, then fails.
		id := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
		if err := os.Truncate(filepath.Join(dir, id[:2], id), 4096); err != nil {
			t.Fatal(err)
		}
		tree, err := FromBackup(bk, Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		n := tree.Root.Walk("files/HomeDomain/Library/SMS/sms.db")
		r, err := n.Content.Open()
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, n.Size)
		if k, err := r.ReadAt(buf, 0); k != 4096 || !errors.Is(err, crypt.ErrShortPayload) {
			t.Errorf("a truncated payload: %d bytes, %v", k, err)
		}
		r.Close()
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
