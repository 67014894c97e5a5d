//go:build !linux

package srcdir

import (
	"fmt"
	"os"
	"syscall"
)

// OpenNoAtime opens a source file read-only (O_NOATIME is Linux only).
func OpenNoAtime(root *os.Root, name string) (*os.File, error) {
	return root.Open(name)
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
func (d *Dir) Open(name string) (*os.File, error) { return d.r.Open(name) }

// Size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *Dir) Size(name string) (int64, error) {
	fi, err := d.r.Lstat(name)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("not a regular file: %w", syscall.EIO)
	}
	return fi.Size(), nil
}
