//go:build !linux && !windows

package fs

// directMountFlags: mounts go through the system's FUSE helper here.
const directMountFlags = 0
