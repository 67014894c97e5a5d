package index

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

func sampleTree(t *testing.T, damage func(dir string)) *Tree {
	t.Helper()
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
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

func TestEncryptedRefused(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	b.Encrypted = true
	dir := t.TempDir()
	if err := b.Write(dir); err != nil {
		t.Fatal(err)
	}
	bk, err := backup.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromBackup(bk, Options{}); err != ErrEncrypted {
		t.Errorf("got %v, want ErrEncrypted", err)
	}
}
