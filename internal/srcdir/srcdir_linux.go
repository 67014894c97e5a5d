// Package srcdir opens the files of a source read-only, without leaving
// the source (no symlink followed, no path above it) and, on Linux,
// without updating access times.
package srcdir

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenNoAtime opens a source file read-only without updating its access
// time where the kernel lets us (O_NOATIME needs us to own the file or
// CAP_FOWNER).
func OpenNoAtime(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = root.OpenFile(name, os.O_RDONLY, 0)
	}
	return f, err
}

// Dir is an open folder of a source whose files are opened with
// one openat each: os.Root would open and close every folder on the way,
// which triples the cost of opening tens of thousands of payloads. Its
// descriptor is used through RawConn.Control, which keeps it from being
// closed (a tree's Close) while a call uses it, so a closed folder gives an
// error rather than a descriptor number the kernel has given to another
// file.
type Dir struct {
	f   *os.File
	raw syscall.RawConn
}

// Open opens the folder name of root.
func Open(root *os.Root, name string) (*Dir, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	raw, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Dir{f, raw}, nil
}

func (d *Dir) Close() error { return d.f.Close() }

// at runs fn with the folder's descriptor.
func (d *Dir) at(fn func(fd int) error) error {
	var err error
	if cerr := d.raw.Control(func(fd uintptr) { err = fn(int(fd)) }); cerr != nil {
		return cerr
	}
	return err
}

// Open opens a file directly in the folder (name has no '/'), never
// following a symlink, so nothing outside the source can be reached.
func (d *Dir) Open(name string) (*os.File, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	var fd int
	err := d.at(func(dirfd int) (err error) {
		fd, err = unix.Openat(dirfd, name, flags|unix.O_NOATIME, 0)
		if err == unix.EPERM {
			fd, err = unix.Openat(dirfd, name, flags, 0)
		}
		return err
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *Dir) Size(name string) (int64, error) {
	var st unix.Stat_t
	if err := d.at(func(dirfd int) error { return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return 0, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, fmt.Errorf("not a regular file: %w", syscall.EIO)
	}
	return st.Size, nil
}
