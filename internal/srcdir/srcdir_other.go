//go:build !linux

package srcdir

import (
	"os"
)

// Elsewhere a name is looked at before it is opened (a FIFO, device or
// symlink is refused then), and what was opened is looked at again.

// blocking: files are opened blocking here.
func blocking(*os.File) error { return nil }

// OpenFile opens a source file by its path (see the Linux version).
func OpenFile(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: path, Err: NotRegularError(fi.Mode())}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return regular(f)
}

// OpenDir opens a folder of a source to list it.
func OpenDir(path string) (*os.File, error) { return os.Open(path) }

// OpenIn opens a file of a source folder, which it cannot leave (os.Root).
func OpenIn(r *os.Root, name string) (*os.File, error) {
	fi, err := r.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &os.PathError{Op: "open", Path: name, Err: NotRegularError(fi.Mode())}
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	return regular(f)
}

// Dir is an open folder of a source.
type Dir struct{ r *os.Root }

// Open opens the folder name of root.
func Open(root *os.Root, name string) (*Dir, error) {
	r, err := root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return &Dir{r}, nil
}

func (d *Dir) Close() error { return d.r.Close() }

// Open opens a file directly in the folder, never leaving it.
func (d *Dir) Open(name string) (*os.File, error) { return OpenIn(d.r, name) }

// Size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *Dir) Size(name string) (int64, error) {
	fi, err := d.r.Lstat(name)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, &os.PathError{Op: "stat", Path: name, Err: NotRegularError(fi.Mode())}
	}
	return fi.Size(), nil
}
