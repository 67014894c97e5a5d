package srcdir

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openFlags open a source file: O_NONBLOCK keeps an open of a FIFO from
// waiting for a writer, O_NOFOLLOW a symlink from leading anywhere.
const openFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// openat opens name relative to dirfd (unix.AT_FDCWD: a path).
func openat(dirfd int, name string) (*os.File, error) {
	fd, err := unix.Openat(dirfd, name, openFlags|unix.O_NOATIME, 0)
	if err == unix.EPERM {
		fd, err = unix.Openat(dirfd, name, openFlags, 0)
	}
	if err == unix.ELOOP {
		return nil, &os.PathError{Op: "open", Path: name, Err: NotRegular{"a symlink"}}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return regular(os.NewFile(uintptr(fd), name))
}

// blocking clears O_NONBLOCK.
func blocking(f *os.File) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	if cerr := raw.Control(func(fd uintptr) { err = unix.SetNonblock(int(fd), false) }); cerr != nil {
		return cerr
	}
	return err
}

// OpenFile opens a source file by its path. A symlink (which could point
// out of the source, at /dev/zero say) is refused, and so is a file that
// is not a regular one (which is looked at before it is opened: opening
// some devices does something).
func OpenFile(path string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, &os.PathError{Op: "open", Path: path, Err: NotRegular{kindOf(st.Mode)}}
	}
	return openat(unix.AT_FDCWD, path)
}

// OpenDir opens a folder of a source to list it, without updating its
// access time where the kernel lets us.
func OpenDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	}
	return f, err
}

// OpenIn opens a file of a source folder, which it cannot leave (os.Root).
func OpenIn(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOATIME, 0)
	if errors.Is(err, syscall.EPERM) {
		f, err = root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, err
	}
	return regular(f)
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

// Open opens a file directly in the folder (name has no '/'), so nothing
// outside the source can be reached.
func (d *Dir) Open(name string) (*os.File, error) {
	var f *os.File
	err := d.at(func(dirfd int) (err error) {
		f, err = openat(dirfd, name)
		return err
	})
	return f, err
}

// Size looks a file of the folder up without following a symlink: only a
// regular file has one.
func (d *Dir) Size(name string) (int64, error) {
	var st unix.Stat_t
	if err := d.at(func(dirfd int) error { return unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) }); err != nil {
		return 0, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, &os.PathError{Op: "stat", Path: name, Err: NotRegular{kindOf(st.Mode)}}
	}
	return st.Size, nil
}

// kindOf names a file type of a stat's mode, as Kind does.
func kindOf(mode uint32) string {
	types := map[uint32]fs.FileMode{unix.S_IFLNK: fs.ModeSymlink, unix.S_IFDIR: fs.ModeDir, unix.S_IFIFO: fs.ModeNamedPipe,
		unix.S_IFSOCK: fs.ModeSocket, unix.S_IFCHR: fs.ModeDevice, unix.S_IFBLK: fs.ModeDevice}
	return Kind(types[mode&unix.S_IFMT] | fs.ModeIrregular)
}
