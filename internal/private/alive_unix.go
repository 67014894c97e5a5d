//go:build unix

package private

import (
	"os"
	"syscall"
)

// alive reports whether a process may still be running (one we may not
// signal is taken as alive).
func alive(pid int) bool { return syscall.Kill(pid, 0) != syscall.ESRCH }

func ownedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}
