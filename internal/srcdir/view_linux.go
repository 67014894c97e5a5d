package srcdir

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// View returns a path through which dir is read without any access time
// being updated, even by the kernel reading a file itself (passthrough,
// which does not keep our O_NOATIME): where we may (CAP_SYS_ADMIN, which
// passthrough needs too), a private read-only, noatime copy of dir's mount
// made with open_tree and never attached (nobody else sees it), reached
// at /proc/self/fd/N/.; elsewhere dir itself. done releases it.
func View(dir string) (path string, done func()) {
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_RECURSIVE)
	if err != nil {
		return dir, func() {}
	}
	attr := unix.MountAttr{
		Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOATIME,
		Attr_clr: unix.MOUNT_ATTR__ATIME,
	}
	if err := unix.MountSetattr(fd, "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
		unix.Close(fd)
		return dir, func() {}
	}
	// "/.": /proc/self/fd/N is a link, and Lstat (filepath.WalkDir's of
	// its root, say) would see no folder.
	return fmt.Sprintf("/proc/self/fd/%d/.", fd), func() { unix.Close(fd) }
}
