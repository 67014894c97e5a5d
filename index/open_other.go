//go:build !linux

package index

import (
	"fmt"
	"os"
	"syscall"
)

// openNoAtime opens a source file read-only (O_NOATIME is Linux only).
func openNoAtime(root *os.Root, name string) (*os.File, error) {
	return root.Open(name)
}

// sourceDir is an open folder of the source.
type sourceDir struct{ r *os.Root }

func openSourceDir(root *os.Root, name string) (*sourceDir, error) {
	r, err := root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return &sourceDir{r}, nil
}

func (d *sourceDir) Close() error { return d.r.Close() }

// open opens a file directly in the folder, never leaving it.
func (d *sourceDir) open(name string) (*os.File, error) { return d.r.Open(name) }

// size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *sourceDir) size(name string) (int64, error) {
	fi, err := d.r.Lstat(name)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("not a regular file: %w", syscall.EIO)
	}
	return fi.Size(), nil
}
