// Package fs serves an index.Tree over FUSE, read-only. It parses nothing:
// every answer comes from the tree in memory or from the bytes a node's
// Content opens.
package fs

import (
	"context"
	"errors"
	"io"
	"log"
	"os"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/iosphotofs/iosphotofs/index"
)

// Options for a mount.
type Options struct {
	AllowOther bool
	Debug      bool
	FsName     string // shown as the source in mount(8) and df
	UID, GID   uint32 // owner of every file: the mounting user
	// NoPassthrough keeps every read in the daemon even where the kernel
	// could read source files itself (for comparisons and odd kernels).
	NoPassthrough bool
}

// cacheTimeout is how long the kernel may keep names and attributes. The
// tree never changes while mounted, so this is long.
const cacheTimeout = time.Hour

type mountState struct {
	tree        *index.Tree
	uid, gid    uint32
	passthrough bool
}

// node is one index.Node as a FUSE inode.
type node struct {
	gofs.Inode
	n  *index.Node
	st *mountState
}

var (
	_ gofs.NodeLookuper        = (*node)(nil)
	_ gofs.NodeGetattrer       = (*node)(nil)
	_ gofs.NodeOpendirHandler  = (*node)(nil)
	_ gofs.NodeOpener          = (*node)(nil)
	_ gofs.NodeReadlinker      = (*node)(nil)
	_ gofs.NodeStatfser        = (*node)(nil)
	_ gofs.NodeSetattrer       = (*node)(nil)
	_ gofs.NodeCreater         = (*node)(nil)
	_ gofs.NodeMkdirer         = (*node)(nil)
	_ gofs.NodeMknoder         = (*node)(nil)
	_ gofs.NodeUnlinker        = (*node)(nil)
	_ gofs.NodeRmdirer         = (*node)(nil)
	_ gofs.NodeRenamer         = (*node)(nil)
	_ gofs.NodeLinker          = (*node)(nil)
	_ gofs.NodeSymlinker       = (*node)(nil)
	_ gofs.NodeSetxattrer      = (*node)(nil)
	_ gofs.NodeRemovexattrer   = (*node)(nil)
	_ gofs.NodeCopyFileRanger  = (*node)(nil)
	_ gofs.NodeAllocater       = (*node)(nil)
	_ gofs.NodeGetxattrer      = (*node)(nil)
	_ gofs.NodeListxattrer     = (*node)(nil)
	_ gofs.FilePassthroughFder = (*passthroughHandle)(nil)
	_ gofs.FileReader          = (*fileHandle)(nil)
	_ gofs.FileReleaser        = (*fileHandle)(nil)
)

func (n *node) fill(a *fuse.Attr) {
	x := n.n
	a.Ino = x.Ino
	a.Mode = x.Mode
	a.Size = uint64(x.Size)
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.Nlink = 1
	if x.IsDir() {
		a.Nlink = 2
	}
	a.Mtime, a.Ctime, a.Atime = uint64(x.Mtime), uint64(x.Ctime), uint64(x.Mtime)
	a.Owner = fuse.Owner{Uid: n.st.uid, Gid: n.st.gid}
}

func (n *node) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fill(&out.Attr)
	out.SetTimeout(cacheTimeout)
	return 0
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	c := n.n.Child(name)
	if c == nil {
		return nil, syscall.ENOENT
	}
	child := &node{n: c, st: n.st}
	child.fill(&out.Attr)
	out.SetEntryTimeout(cacheTimeout)
	out.SetAttrTimeout(cacheTimeout)
	return n.NewInode(ctx, child, gofs.StableAttr{Mode: c.Mode & index.ModeType, Ino: c.Ino}), 0
}

// OpendirHandle gives go-fuse a handle to list a folder. The kernel itself
// is answered ENOSYS (noOpendir) and caches listings by default; the flags
// matter only to a kernel that would ignore that answer.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if !n.n.IsDir() {
		return nil, 0, syscall.ENOTDIR
	}
	return &dirHandle{dir: n.n}, fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE, 0
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	if n.n.Mode&index.ModeType != index.ModeSymlink {
		return nil, syscall.EINVAL
	}
	return []byte(n.n.Target), 0
}

func (n *node) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND|syscall.O_CREAT) != 0 {
		return nil, 0, syscall.EROFS
	}
	if n.n.Content == nil {
		return nil, 0, syscall.EISDIR
	}
	r, err := n.n.Content.Open()
	if err != nil {
		// The reader sees only an errno: say what went wrong here.
		log.Printf("iosphotofs: open %s: %v", n.n.Name, err)
		return nil, 0, errnoOf(err)
	}
	h := &fileHandle{r: r, size: n.n.Size}
	if n.st.passthrough {
		return &passthroughHandle{h}, fuse.FOPEN_KEEP_CACHE, 0
	}
	return h, fuse.FOPEN_KEEP_CACHE, 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	const bsize = 4096
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = uint64(n.st.tree.Bytes+bsize-1) / bsize
	out.Files = uint64(n.st.tree.Files)
	out.NameLen = 255
	return 0
}

// Extended attributes: none are served; say so instead of ENOTSUP, which
// makes some copy tools warn on every file.
func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENODATA
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) { return 0, 0 }

// Every mutation is refused: the mount is read-only.

func (n *node) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EROFS
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EROFS
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *node) Mknod(ctx context.Context, name string, mode uint32, dev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno { return syscall.EROFS }

func (n *node) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *node) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	return nil, syscall.EROFS
}

func (n *node) Setxattr(ctx context.Context, attr string, data []byte, flags uint32) syscall.Errno {
	return syscall.EROFS
}

func (n *node) Removexattr(ctx context.Context, attr string) syscall.Errno { return syscall.EROFS }

func (n *node) CopyFileRange(ctx context.Context, fhIn gofs.FileHandle, offIn uint64, out *gofs.Inode, fhOut gofs.FileHandle, offOut uint64, len uint64, flags uint64) (uint32, syscall.Errno) {
	return 0, syscall.EROFS
}

func (n *node) Allocate(ctx context.Context, f gofs.FileHandle, off uint64, size uint64, mode uint32) syscall.Errno {
	return syscall.EROFS
}

// fileHandle is an open file.
type fileHandle struct {
	r    index.Reader
	size int64
}

// passthroughHandle is a fileHandle the kernel may read without us.
type passthroughHandle struct{ *fileHandle }

// PassthroughFd hands a plain source file to the kernel, which then reads it
// directly (Linux >= 6.9 with CAP_SYS_ADMIN; go-fuse falls back to Read
// when registering fails).
func (f *passthroughHandle) PassthroughFd() (int, bool) {
	if of, ok := f.r.(*os.File); ok {
		return int(of.Fd()), true
	}
	return 0, false
}

func (f *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if off >= f.size {
		return fuse.ReadResultData(nil), 0
	}
	want := min(int64(len(dest)), f.size-off)
	if of, ok := f.r.(*os.File); ok {
		// Let go-fuse splice straight from the source file.
		return fuse.ReadResultFd(of.Fd(), off, int(want)), 0
	}
	n, err := f.r.ReadAt(dest[:want], off)
	if err != nil && err != io.EOF {
		return nil, errnoOf(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (f *fileHandle) Release(ctx context.Context) syscall.Errno {
	if err := f.r.Close(); err != nil {
		return errnoOf(err)
	}
	return 0
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return syscall.EIO
}

// dirHandle lists a directory from the tree.
type dirHandle struct {
	dir *index.Node
	pos int
}

var (
	_ gofs.FileReaddirenter = (*dirHandle)(nil)
	_ gofs.FileSeekdirer    = (*dirHandle)(nil)
)

func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if d.pos >= len(d.dir.Children) {
		return nil, 0
	}
	c := d.dir.Children[d.pos]
	d.pos++
	return &fuse.DirEntry{Name: c.Name, Ino: c.Ino, Mode: c.Mode, Off: uint64(d.pos)}, 0
}

func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	d.pos = int(min(off, uint64(len(d.dir.Children))))
	return 0
}
