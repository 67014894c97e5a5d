package private

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// The folder of a process that is gone is removed; this process's, and
// anything not named like one, are not.
func TestRemoveLeftovers(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	mine, err := Dir("db")
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true(1)")
	}
	gone := filepath.Join(os.TempDir(), "iosphotofs-manifest-"+strconv.Itoa(c.Process.Pid)+"-123")
	other := filepath.Join(os.TempDir(), "iosphotofs-notes")
	for _, d := range []string{gone, other} {
		if err := os.WriteFile(filepath.Join(mkdir(t, d), "Manifest.db"), []byte("plaintext"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if removed := RemoveLeftovers(); len(removed) != 1 || removed[0] != gone {
		t.Errorf("removed %q, want only %s", removed, gone)
	}
	for _, d := range []string{mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func mkdir(t *testing.T, d string) string {
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}
