//go:build !windows

// Package fs serves an model.Tree over FUSE, read-only. It parses nothing:
// every answer comes from the tree in memory or from the bytes a node's
// Content opens.
//
// It speaks go-fuse's raw protocol API rather than its node API: a tree
// never changes (a live rebuild serves a new one, see Server.Swap) and
// every node already has a stable inode number, so the number is the FUSE
// node ID and no per-inode state is kept.
// A cold walk of a large tree then costs the daemon almost nothing per entry.
package fs

import (
	"cmp"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/iosphotofs/iosphotofs/model"
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
	// Log is told what a reader cannot see through an errno: why a file
	// did not open, passthrough refused. nil: nothing is logged.
	Log *slog.Logger
	// Progress, if set, is told at most once a second how far the files
	// made on demand that a listing queued (HEIC photos' JPEG copies) have
	// got: what, and done of total.
	Progress func(what string, done, total int)
}

// cacheTimeout is how long the kernel may keep names, attributes and
// negative lookups. It is long: a tree never changes, and when a rebuilt
// one is served, Server.Swap tells the kernel to forget every name that
// differs (absent names it cached included).
const cacheTimeout = time.Hour

// fileSystem answers the kernel. Requests it does not implement get
// ENOSYS from the embedded default, which the kernel then stops sending
// (FLUSH, OPENDIR, ...).
type fileSystem struct {
	fuse.RawFileSystem
	tree     atomic.Pointer[model.Tree] // swapped whole by Swap
	uid, gid uint32
	server   *fuse.Server
	// passthrough is cleared when the kernel refuses a backing file, so
	// later opens do not try again.
	passthrough atomic.Bool
	log         *slog.Logger
	converting  converting

	statters statters

	mu      sync.Mutex
	open    map[uint64]*openFile // by file handle
	nextFh  uint64
	backing map[uint64]*backingFile // by node: the kernel allows one per inode
	// users counts the open files of each tree: one no longer served is
	// closed when its last file is (see swap).
	users map[*model.Tree]int
	// gen counts the trees served; cached has, for each inode read
	// through the daemon, the gen of the tree its bytes the kernel may
	// keep came from. A rebuilt tree may serve other bytes under the same
	// inode (a payload replaced with one of the same size): its first
	// open of the inode has the kernel drop what it kept.
	gen    uint64
	cached map[uint64]uint64
}

// openFile is an open regular file.
type openFile struct {
	ino  uint64
	tree *model.Tree // the tree it was opened in
	r    model.Reader
	size int64
	// backed: the kernel reads this file itself (passthrough).
	backed bool
}

// backingFile is a source file the kernel reads itself for one inode.
// The tree it came from is part of its identity: after a rebuild the same
// inode number may name a payload replaced in the source.
type backingFile struct {
	id   int32
	refs int
	tree *model.Tree
}

type fileID struct{ dev, ino uint64 }

func fileIDOf(f *os.File) (fileID, bool) {
	fi, err := f.Stat()
	if err != nil {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return fileID{uint64(st.Dev), uint64(st.Ino)}, ok
}

func newFileSystem(tree *model.Tree, opt Options) *fileSystem {
	f := &fileSystem{
		RawFileSystem: fuse.NewDefaultRawFileSystem(),
		uid:           opt.UID,
		gid:           opt.GID,
		open:          map[uint64]*openFile{},
		backing:       map[uint64]*backingFile{},
		users:         map[*model.Tree]int{},
		cached:        map[uint64]uint64{},
		log:           cmp.Or(opt.Log, slog.New(slog.DiscardHandler)),
		converting:    converting{report: opt.Progress},
	}
	f.passthrough.Store(!opt.NoPassthrough)
	f.tree.Store(tree)
	return f
}

func (f *fileSystem) String() string { return "iosphotofs" }

func (f *fileSystem) Init(s *fuse.Server) { f.server = s }

// node maps a FUSE node ID to its tree node: the root is FUSE_ROOT_ID,
// every other node is its own inode number.
func (f *fileSystem) node(id uint64) *model.Node { return nodeIn(f.tree.Load(), id) }

func nodeIn(t *model.Tree, id uint64) *model.Node {
	if id == fuse.FUSE_ROOT_ID {
		return t.Root
	}
	return t.Node(id)
}

// fill answers a node's attributes; a file made on demand (a HEIC's JPEG
// twin) is made first, as its size is only known then.
func (f *fileSystem) fill(n *model.Node, a *fuse.Attr) fuse.Status {
	size, err := model.SizeOf(n)
	if _, made := n.Content.(model.Pending); err != nil && made {
		// A copy that could not be made keeps its listed name (one that
		// vanished would make rsync and cp say so): empty, and opening it
		// says why.
		size, err = 0, nil
	}
	if err != nil {
		f.log.Warn("no attributes", "file", n.Name, "err", err)
		return fuse.ENOENT
	}
	a.Ino = n.Ino
	a.Mode = n.Mode
	a.Size = uint64(size)
	a.Blocks = (a.Size + 511) / 512
	a.Blksize = 4096
	a.Nlink = max(1, n.Nlink)
	a.Mtime, a.Ctime, a.Atime = uint64(n.Mtime), uint64(n.Ctime), uint64(n.Mtime)
	a.Owner = fuse.Owner{Uid: f.uid, Gid: f.gid}
	return fuse.OK
}

func (f *fileSystem) fillEntry(n *model.Node, out *fuse.EntryOut) fuse.Status {
	if st := f.fill(n, &out.Attr); st != fuse.OK {
		return st
	}
	out.NodeId = n.Ino
	out.SetEntryTimeout(cacheTimeout)
	out.SetAttrTimeout(cacheTimeout)
	return fuse.OK
}

func (f *fileSystem) Lookup(cancel <-chan struct{}, h *fuse.InHeader, name string, out *fuse.EntryOut) fuse.Status {
	dir := f.node(h.NodeId)
	if dir == nil {
		return fuse.ENOENT
	}
	if !dir.IsDir() {
		return fuse.ENOTDIR
	}
	c := f.tree.Load().Lookup(dir, name)
	if c == nil {
		// Node ID 0 with a timeout: the kernel caches the name as absent.
		out.NodeId = 0
		out.SetEntryTimeout(cacheTimeout)
		return fuse.OK
	}
	if !c.IsDir() {
		f.statters.add(h.Caller.Pid)
	}
	return f.fillEntry(c, out)
}

func (f *fileSystem) GetAttr(cancel <-chan struct{}, in *fuse.GetAttrIn, out *fuse.AttrOut) fuse.Status {
	n := f.node(in.NodeId)
	if n == nil {
		return fuse.ENOENT
	}
	if st := f.fill(n, &out.Attr); st != fuse.OK {
		return st
	}
	out.SetTimeout(cacheTimeout)
	return fuse.OK
}

func (f *fileSystem) Readlink(cancel <-chan struct{}, h *fuse.InHeader) ([]byte, fuse.Status) {
	n := f.node(h.NodeId)
	if n == nil || n.Mode&model.ModeType != model.ModeSymlink {
		return nil, fuse.EINVAL
	}
	return []byte(n.Target), fuse.OK
}

func (f *fileSystem) StatFs(cancel <-chan struct{}, h *fuse.InHeader, out *fuse.StatfsOut) fuse.Status {
	const bsize = 4096
	out.Bsize = bsize
	out.Frsize = bsize
	out.Blocks = uint64(f.tree.Load().Bytes+bsize-1) / bsize
	out.Files = uint64(f.tree.Load().Files)
	out.NameLen = 255
	return fuse.OK
}

// Extended attributes: none are served. GETXATTR is refused for good
// (ENOSYS), so the kernel answers every later one itself: ls -l asks two
// per file (the SELinux label and the ACL), which over a large tree would
// be most of its time. LISTXATTR answers an empty list rather than
// "unsupported", which makes some copy tools warn on every file.
func (f *fileSystem) GetXAttr(cancel <-chan struct{}, h *fuse.InHeader, attr string, dest []byte) (uint32, fuse.Status) {
	return 0, fuse.ENOSYS
}

func (f *fileSystem) ListXAttr(cancel <-chan struct{}, h *fuse.InHeader, dest []byte) (uint32, fuse.Status) {
	return 0, fuse.OK
}

// OpenDir is refused: the kernel then stops sending OPENDIR and RELEASEDIR
// for good (FUSE_NO_OPENDIR_SUPPORT, Linux >= 5.1) and caches listings as
// if FOPEN_CACHE_DIR|FOPEN_KEEP_CACHE had been answered, so a second walk
// of the tree (find, rsync) costs no request at all. READDIR(PLUS) needs
// no handle: the offset is the index into the folder's children.
func (f *fileSystem) OpenDir(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	return fuse.ENOSYS
}

func (f *fileSystem) ReadDir(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return f.readDir(in, out, false)
}

func (f *fileSystem) ReadDirPlus(cancel <-chan struct{}, in *fuse.ReadIn, out *fuse.DirEntryList) fuse.Status {
	return f.readDir(in, out, true)
}

// dotEntries are "." and "..", at offsets 0 and 1 of every listing; the
// children follow.
const dotEntries = 2

func (f *fileSystem) readDir(in *fuse.ReadIn, out *fuse.DirEntryList, plus bool) fuse.Status {
	tree := f.tree.Load()
	dir := nodeIn(tree, in.NodeId)
	if dir == nil {
		return fuse.ENOENT
	}
	if !dir.IsDir() {
		return fuse.ENOTDIR
	}
	for off := in.Offset; off < dotEntries; off++ {
		// The kernel knows them already: names and numbers alone.
		e := fuse.DirEntry{Name: ".", Ino: dir.Ino, Mode: model.ModeDir, Off: off + 1}
		if off == 1 {
			e.Name, e.Ino = "..", tree.Parent(dir).Ino
		}
		if plus && out.AddDirLookupEntry(e) == nil || !plus && !out.AddDirEntry(e) {
			return fuse.OK
		}
	}
	// Folders always come with their attributes: a walk goes into them.
	// Files do only for a caller that looks files up (see statters).
	files := plus && f.statters.has(in.Caller.Pid)
	var queued []model.Pending
	defer func() { f.converting.add(pathOf(tree, dir), queued) }()
	for i := max(in.Offset, dotEntries) - dotEntries; i < uint64(len(dir.Children)); i++ {
		c := dir.Children[i]
		e := fuse.DirEntry{Name: c.Name, Ino: c.Ino, Mode: c.Mode, Off: i + dotEntries + 1}
		// A listing has the folder's files made on demand made in the
		// background; until one is, its entry goes without attributes
		// (node ID 0), and a stat of it waits for it alone.
		pending, _ := c.Content.(model.Pending)
		if pending != nil && !pending.Ready() {
			pending.Prefetch()
			queued = append(queued, pending)
		}
		if !plus {
			if !out.AddDirEntry(e) {
				break
			}
			continue
		}
		entry := out.AddDirLookupEntry(e)
		if entry == nil {
			break
		}
		if (files || c.IsDir()) && (pending == nil || pending.Ready()) {
			f.fillEntry(c, entry)
		}
	}
	return fuse.OK
}

// statters remembers the callers (by thread ID, as the kernel gives it)
// that have looked a file up: ls -l, rsync, du and file browsers read
// every file's attributes, and get them with each later listing in bulk.
// Others, such as find or a shell completing a name, read only names and
// types: their listings carry no file attributes, so a walk of a large
// backup does not make the kernel build an inode for every file (a
// 300,000-file backup: 300 MB of kernel memory, and a quarter of the walk's
// time). Such a caller that stats a file after all looks it up.
type statters struct {
	mu   sync.Mutex
	pids map[uint32]struct{}
}

// maxStatters bounds the set: past it, it starts again empty, which costs
// a few callers one listing without attributes.
const maxStatters = 4096

func (s *statters) add(pid uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pids == nil || len(s.pids) >= maxStatters {
		s.pids = make(map[uint32]struct{})
	}
	s.pids[pid] = struct{}{}
}

func (s *statters) has(pid uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.pids[pid]
	return ok
}

// hold returns the tree served now and its gen, counting a user of it.
func (f *fileSystem) hold() (*model.Tree, uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tree.Load()
	f.users[t]++
	return t, f.gen
}

// drop ends a use of a tree, closing it if it is no longer served and
// this was its last.
func (f *fileSystem) drop(t *model.Tree) {
	f.mu.Lock()
	f.users[t]--
	idle := f.users[t] == 0
	if idle {
		delete(f.users, t)
	}
	idle = idle && t != f.tree.Load()
	f.mu.Unlock()
	if idle {
		t.Close()
	}
}

// swap serves a new tree and returns the old one, which it closes if no
// file of it is open (else the last Release does).
func (f *fileSystem) swap(t *model.Tree) *model.Tree {
	f.mu.Lock()
	old := f.tree.Swap(t)
	f.gen++
	idle := f.users[old] == 0
	f.mu.Unlock()
	if idle && old != t {
		old.Close()
	}
	return old
}

func (f *fileSystem) Open(cancel <-chan struct{}, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	if in.Flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND|syscall.O_CREAT) != 0 {
		return fuse.EROFS
	}
	tree, gen := f.hold()
	st := f.openIn(tree, gen, in, out)
	if st != fuse.OK {
		f.drop(tree)
	}
	return st
}

func (f *fileSystem) openIn(tree *model.Tree, gen uint64, in *fuse.OpenIn, out *fuse.OpenOut) fuse.Status {
	n := nodeIn(tree, in.NodeId)
	if n == nil {
		return fuse.ENOENT
	}
	if n.Content == nil {
		return fuse.EISDIR
	}
	r, err := n.Content.Open()
	if err != nil {
		// The reader sees only an errno: say what went wrong here.
		f.log.Warn("cannot open", "file", n.Name, "err", err)
		return statusOf(err)
	}
	size, err := model.SizeOf(n) // made already: Open made it
	if err != nil {
		r.Close()
		return statusOf(err)
	}
	of := &openFile{ino: n.Ino, tree: tree, r: r, size: size}

	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok, busy := f.addBacking(of)
	if busy {
		// The kernel takes every open of an inode passed through to one
		// file, and it still has the one this name had before the source
		// changed.
		f.log.Warn("cannot open: replaced in the source while its older copy is open; it opens once that is closed", "file", n.Name)
		of.r.Close()
		return fuse.Status(syscall.ESTALE)
	}
	switch kept, seen := f.cached[n.Ino]; {
	case ok:
		out.BackingID = id
		out.OpenFlags = fuse.FOPEN_PASSTHROUGH
	case seen && kept == gen:
		out.OpenFlags = fuse.FOPEN_KEEP_CACHE
	default:
		f.cached[n.Ino] = gen
	}
	f.nextFh++
	out.Fh = f.nextFh
	f.open[out.Fh] = of
	return fuse.OK
}

// sameBacking reports whether file is the source file an inode is passed
// through to (an open file of the inode's backing holds it). It is asked
// only when another tree registered the backing: rarely, after a rebuild.
// Must hold f.mu.
func (f *fileSystem) sameBacking(ino uint64, file *os.File) bool {
	for _, of := range f.open {
		if of.ino == ino && of.backed {
			a, okA := fileIDOf(of.r.(*os.File))
			b, okB := fileIDOf(file)
			return okA && okB && a == b
		}
	}
	return false
}

// addBacking lets the kernel read a plain source file itself (passthrough:
// Linux >= 6.9 with CAP_SYS_ADMIN), sharing one backing ID among the open
// files of a node. busy: the inode is passed through to another source
// file, opened in an older tree. Must hold f.mu.
func (f *fileSystem) addBacking(of *openFile) (id int32, ok, busy bool) {
	file, ok := of.r.(*os.File)
	if !ok || !f.passthrough.Load() {
		return 0, false, false
	}
	b := f.backing[of.ino]
	if b != nil && b.tree != of.tree && !f.sameBacking(of.ino, file) {
		return 0, false, true
	}
	if b == nil {
		id, errno := registerBacking(f.server, int(file.Fd()))
		if errno != 0 {
			f.log.Warn("passthrough refused by the kernel: reads go through the daemon", "err", errno)
			f.passthrough.Store(false)
			return 0, false, false
		}
		b = &backingFile{id: id, tree: of.tree}
		f.backing[of.ino] = b
	}
	b.refs++
	of.backed = true
	return b.id, true, false
}

func (f *fileSystem) Read(cancel <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	f.mu.Lock()
	of := f.open[in.Fh]
	f.mu.Unlock()
	if of == nil {
		return nil, fuse.EBADF
	}
	off := int64(in.Offset)
	if off >= of.size {
		return fuse.ReadResultData(nil), fuse.OK
	}
	want := min(int64(len(buf)), of.size-off)
	if file, ok := of.r.(*os.File); ok {
		// Let go-fuse splice straight from the source file.
		return fuse.ReadResultFd(file.Fd(), off, int(want)), fuse.OK
	}
	n, err := of.r.ReadAt(buf[:want], off)
	if err != nil && err != io.EOF {
		return nil, statusOf(err)
	}
	return fuse.ReadResultData(buf[:n]), fuse.OK
}

func (f *fileSystem) Release(cancel <-chan struct{}, in *fuse.ReleaseIn) {
	f.mu.Lock()
	of := f.open[in.Fh]
	delete(f.open, in.Fh)
	if of != nil && of.backed {
		if b := f.backing[of.ino]; b != nil {
			if b.refs--; b.refs == 0 {
				if errno := unregisterBacking(f.server, b.id); errno != 0 {
					f.log.Warn("releasing a passthrough file", "err", errno)
				}
				delete(f.backing, of.ino)
			}
		}
	}
	f.mu.Unlock()
	if of != nil {
		of.r.Close()
		f.drop(of.tree)
	}
}

func statusOf(err error) fuse.Status {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fuse.Status(errno)
	}
	return fuse.EIO
}

// Every mutation is refused: the mount is read-only.

func (f *fileSystem) SetAttr(cancel <-chan struct{}, in *fuse.SetAttrIn, out *fuse.AttrOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Mknod(cancel <-chan struct{}, in *fuse.MknodIn, name string, out *fuse.EntryOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Mkdir(cancel <-chan struct{}, in *fuse.MkdirIn, name string, out *fuse.EntryOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Unlink(cancel <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Rmdir(cancel <-chan struct{}, h *fuse.InHeader, name string) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Rename(cancel <-chan struct{}, in *fuse.RenameIn, oldName, newName string) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Link(cancel <-chan struct{}, in *fuse.LinkIn, name string, out *fuse.EntryOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Symlink(cancel <-chan struct{}, h *fuse.InHeader, target, name string, out *fuse.EntryOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) SetXAttr(cancel <-chan struct{}, in *fuse.SetXAttrIn, attr string, data []byte) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) RemoveXAttr(cancel <-chan struct{}, h *fuse.InHeader, attr string) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Create(cancel <-chan struct{}, in *fuse.CreateIn, name string, out *fuse.CreateOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Tmpfile(cancel <-chan struct{}, in *fuse.CreateIn, out *fuse.CreateOut) fuse.Status {
	return fuse.EROFS
}

func (f *fileSystem) Write(cancel <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	return 0, fuse.EROFS
}

func (f *fileSystem) CopyFileRange(cancel <-chan struct{}, in *fuse.CopyFileRangeIn) (uint32, fuse.Status) {
	return 0, fuse.EROFS
}

func (f *fileSystem) Fallocate(cancel <-chan struct{}, in *fuse.FallocateIn) fuse.Status {
	return fuse.EROFS
}
