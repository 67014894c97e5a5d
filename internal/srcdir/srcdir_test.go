package srcdir

import (
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
