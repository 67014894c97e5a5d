//go:build !windows

package extract

import (
	"time"

	"golang.org/x/sys/unix"
)

// lchtimes sets a symlink's own times (os.Chtimes would follow it).
func lchtimes(path string, t time.Time) error {
	tv := unix.NsecToTimeval(t.UnixNano())
	return unix.Lutimes(path, []unix.Timeval{tv, tv})
}
