package fs

import (
	"github.com/hanwen/go-fuse/v2/fuse"
)

// noOpendir answers OPENDIR with ENOSYS. The kernel then stops sending
// OPENDIR and RELEASEDIR for good (FUSE_NO_OPENDIR_SUPPORT, Linux >= 5.1)
// and caches listings as if FOPEN_CACHE_DIR|FOPEN_KEEP_CACHE had been
// answered: a second walk of the tree (find, rsync) costs no request at
// all, and a first one two fewer per folder. go-fuse lists a folder only
// through a handle, so each READDIR(PLUS) opens one, seeks to the asked
// offset, reads and releases it, all inside the daemon.
type noOpendir struct {
	fuse.RawFileSystem
}

func (r noOpendir) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	return fuse.ENOSYS
}

func (r noOpendir) ReadDir(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return r.withHandle(cancel, in, func(in *fuse.ReadIn) fuse.Status { return r.RawFileSystem.ReadDir(cancel, in, out) })
}

func (r noOpendir) ReadDirPlus(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return r.withHandle(cancel, in, func(in *fuse.ReadIn) fuse.Status { return r.RawFileSystem.ReadDirPlus(cancel, in, out) })
}

// ReleaseDir is only sent for handles the kernel got from OPENDIR, which
// it never gets here; ours are released by withHandle.
func (r noOpendir) ReleaseDir(in *fuse.ReleaseIn) {
	if in.Fh != 0 {
		r.RawFileSystem.ReleaseDir(in)
	}
}

func (r noOpendir) withHandle(cancel <-chan struct{}, in *fuse.ReadIn, read func(*fuse.ReadIn) fuse.Status) fuse.Status {
	if in.Fh != 0 {
		return read(in) // a kernel that ignored ENOSYS still works
	}
	var opened fuse.OpenOut
	if st := r.RawFileSystem.OpenDir(cancel, &fuse.OpenIn{InHeader: in.InHeader, Flags: in.Flags}, &opened); !st.Ok() {
		return st
	}
	withFh := *in
	withFh.Fh = opened.Fh
	st := read(&withFh)
	r.RawFileSystem.ReleaseDir(&fuse.ReleaseIn{InHeader: in.InHeader, Fh: opened.Fh})
	return st
}
