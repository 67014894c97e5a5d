// Package srcdir opens the files of a source: read-only, regular files
// only, never blocking (a FIFO, device or socket is refused, not read),
// never following a symlink at the end of a path, within the source where
// a folder of it is given, and, on Linux, without updating access times
// where the kernel lets us (O_NOATIME needs us to own the file or
// CAP_FOWNER).
package srcdir

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegular is the error for a name that is not a regular file. Readers
// of the mount see EIO.
type NotRegular struct{ Kind string }

func (e NotRegular) Error() string { return "not a regular file (" + e.Kind + ")" }

func (e NotRegular) Is(target error) bool { return target == syscall.EIO }

// NotRegularError is the NotRegular error of a file of mode.
func NotRegularError(mode fs.FileMode) error { return NotRegular{Kind(mode)} }

// Kind names what a file that is not a regular one is.
func Kind(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "a symlink"
	case mode.IsDir():
		return "a folder"
	case mode&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// regular makes sure the file opened is a regular one and that reads of
// it block as usual (it was opened non-blocking, so that a FIFO could not
// hang the open); it closes f otherwise.
func regular(f *os.File) (*os.File, error) {
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = &os.PathError{Op: "open", Path: f.Name(), Err: NotRegularError(fi.Mode())}
	}
	if err == nil {
		err = blocking(f)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// ReadFile reads a whole file of a source (OpenFile's way): one larger
// than max bytes is an error, however it grows while being read.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s: larger than %d MiB", path, max>>20)
	}
	return data, err
}
