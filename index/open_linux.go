package index

import (
	"errors"
	"os"
	"syscall"
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
