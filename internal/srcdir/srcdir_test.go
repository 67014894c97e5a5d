package srcdir

import (
	"time"

	"golang.org/x/sys/unix"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// A folder's files open and have sizes; a symlink (to a file outside the
// source) and a folder are refused, never followed.
func TestDir(t *testing.T) {
	src, outside := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(src, "a"), []byte("hello"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(src, "link"))
	os.Mkdir(filepath.Join(src, "sub"), 0o755)
	root, err := os.OpenRoot(src)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	d, err := Open(root, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if size, err := d.Size("a"); err != nil || size != 5 {
		t.Errorf("Size(a) = %d, %v", size, err)
	}
	f, err := d.Open("a")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "hello" {
		t.Errorf("Open(a) read %q", data)
	}
	for _, name := range []string{"link", "sub"} {
		if _, err := d.Size(name); err == nil {
			t.Errorf("Size(%s): no error", name)
		}
	}
	if f, err := d.Open("link"); err == nil {
		data, _ := io.ReadAll(f)
		f.Close()
		t.Errorf("Open(link) followed the symlink: %q", data)
	}
}

// Read through a view, a source's files and folders keep their access
// times (where a view can be made: as root).
func TestViewKeepsAccessTimes(t *testing.T) {
	src := t.TempDir()
	p := filepath.Join(src, "a")
	os.WriteFile(p, []byte("hello"), 0o644)
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(p, old, old)
	os.Chtimes(src, old, old)
	view, done := View(src)
	defer done()
	if view == src {
		t.Skip("no private mount here (needs CAP_SYS_ADMIN)")
	}
	if data, err := os.ReadFile(filepath.Join(view, "a")); err != nil || string(data) != "hello" {
		t.Fatalf("read through the view: %q, %v", data, err)
	}
	if _, err := os.ReadDir(view); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(view, "b"), nil, 0o644); err == nil {
		t.Error("the view is writable")
	}
	for _, q := range []string{p, src} {
		var st unix.Stat_t
		if err := unix.Stat(q, &st); err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(st.Atim.Unix()); !got.Equal(old) {
			t.Errorf("%s: access time %v, want %v", q, got, old)
		}
	}
}
