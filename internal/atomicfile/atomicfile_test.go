package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A write that works leaves the file and nothing else; one that fails
// leaves nothing, not even a temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := Write(path, ".tmp-", func(w io.Writer) error { _, err := io.WriteString(w, "whole"); return err }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "whole" {
		t.Errorf("read back %q, %v", b, err)
	}
	boom := errors.New("boom")
	if err := Write(filepath.Join(dir, "g"), ".tmp-", func(w io.Writer) error { io.WriteString(w, "half"); return boom }); err != boom {
		t.Errorf("a failed fill gave %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left %v, want only f", left)
	}
}
