package fs

import "syscall"

// directMountFlags make a root's mount itself read-only (MS_RDONLY: "ro"
// in the options makes only the filesystem so), with nothing on it run or
// taken for a device.
const directMountFlags = syscall.MS_RDONLY | syscall.MS_NOSUID | syscall.MS_NODEV | syscall.MS_NOEXEC
