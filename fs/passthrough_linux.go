package fs

import (
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
)

func registerBacking(s *fuse.Server, fd int) (int32, syscall.Errno) {
	return s.RegisterBackingFd(&fuse.BackingMap{Fd: int32(fd)})
}

func unregisterBacking(s *fuse.Server, id int32) syscall.Errno { return s.UnregisterBackingFd(id) }
