package index

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openNoAtime opens a source file read-only without updating its access
// time where the kernel lets us (O_NOATIME needs us to own the file or
// CAP_FOWNER).
func openNoAtime(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = root.OpenFile(name, os.O_RDONLY, 0)
	}
	return f, err
}

// sourceDir is an open folder of the source whose files are opened with
// one openat each: os.Root would open and close every folder on the way,
// which triples the cost of opening tens of thousands of payloads.
type sourceDir struct{ f *os.File }

func openSourceDir(root *os.Root, name string) (*sourceDir, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	return &sourceDir{f}, nil
}

// open opens a file directly in the folder (name has no '/'), never
// following a symlink, so nothing outside the source can be reached.
func (d *sourceDir) open(name string) (*os.File, error) {
	const flags = syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	fd, err := syscall.Openat(int(d.f.Fd()), name, flags|syscall.O_NOATIME, 0)
	if err == syscall.EPERM {
		fd, err = syscall.Openat(int(d.f.Fd()), name, flags, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *sourceDir) size(name string) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.f.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return 0, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, fmt.Errorf("not a regular file: %w", syscall.EIO)
	}
	return st.Size, nil
}
