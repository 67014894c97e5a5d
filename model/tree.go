// Package model is the tree every server shows: one immutable Tree of
// folders, files and symlinks with stable names and inode numbers, the
// names it may hold, and what changed between two trees of a source.
// Builders (package index) make trees; servers (fs, extract) only read
// them, and depend on nothing else.
package model

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"
)

// File type bits of Node.Mode (the POSIX values, on every OS).
const (
	ModeType    = 0o170000
	ModeDir     = 0o040000
	ModeRegular = 0o100000
	ModeSymlink = 0o120000
)

// The modes of entries the tree makes (folders, views of its own, info/):
// what a copy of them should have. Rows of a backup keep the device's.
const (
	MadeFile = ModeRegular | 0o644
	MadeDir  = ModeDir | 0o755
)

// RootIno is the inode number of the root.
const RootIno = 1

// Node is a directory, regular file or symlink of the tree. Nodes are never
// changed once the Tree is built.
type Node struct {
	Name     string
	Ino      uint64
	Mode     uint32 // type and permission bits (the mount is read-only whatever they say)
	Size     int64
	Mtime    int64 // Unix seconds
	Ctime    int64
	Btime    int64  // birth time, 0 when unknown
	Nlink    uint32 // names of a file (views are hard links; 0 means 1); a folder's 2 + its folders
	Target   string // symlinks
	Children []*Node
	Content  Content // regular files
}

// IsDir reports whether n is a directory.
func (n *Node) IsDir() bool { return n.Mode&ModeType == ModeDir }

// Child finds a direct child by name (children are sorted by name).
func (n *Node) Child(name string) *Node {
	i, ok := slices.BinarySearchFunc(n.Children, name, func(c *Node, name string) int {
		return strings.Compare(c.Name, name)
	})
	if !ok {
		return nil
	}
	return n.Children[i]
}

// Walk returns the node at a slash-separated path below n, or nil.
func (n *Node) Walk(path string) *Node {
	for _, part := range strings.Split(path, "/") {
		if part == "" {
			continue
		}
		if n = n.Child(part); n == nil {
			return nil
		}
	}
	return n
}

// Content opens a regular file's bytes.
type Content interface {
	Open() (Reader, error)
}

// Sized is the Content of a file whose size is known only once it is
// looked at (a backup's payload) or made (a HEIC's JPEG twin):
// readers of its attributes must ask it rather than Node.Size.
type Sized interface {
	Content
	Size() (int64, error)
}

// SizeOf returns what stat shows for n (for a file made on demand, once
// it is made).
func SizeOf(n *Node) (int64, error) {
	if s, ok := n.Content.(Sized); ok {
		return s.Size()
	}
	return n.Size, nil
}

// Pending is the Content of a file made when first needed (a HEIC's JPEG
// twin): its size is known only once it is made.
type Pending interface {
	Sized
	// Ready reports whether Size would answer at once.
	Ready() bool
	// Prefetch has the file made in the background.
	Prefetch()
}

// Reader is an open file's bytes. When it is an *os.File the FUSE layer can
// hand it to the kernel (passthrough) or splice from it.
type Reader interface {
	io.ReaderAt
	io.Closer
}

// Tree is the catalogue of one source.
type Tree struct {
	Root *Node
	// Bytes is the total size of the files the tree serves (for statfs).
	Bytes int64
	// Files counts regular files.
	Files int64
	// inos and byIno list every node once, sorted by inode number.
	inos  []uint64
	byIno []*Node
	// companions are the WAL companions found so far (see Lookup).
	mu         sync.Mutex
	companions map[uint64]companion
	// parents maps each folder but the root to the folder holding it.
	parents map[*Node]*Node
	// closers are the source's folders its files open from (see Close).
	closers   []io.Closer
	closeOnce sync.Once
}

// New makes the tree of root. byIno lists every node once (a file with
// several names once), sorted by unique inode numbers; parents maps each
// folder but the root to the folder holding it; closers are what the
// tree's files open from, closed by Close.
func New(root *Node, byIno []*Node, parents map[*Node]*Node, closers []io.Closer) *Tree {
	inos := make([]uint64, len(byIno))
	for i, n := range byIno {
		inos[i] = n.Ino
	}
	return &Tree{Root: root, inos: inos, byIno: byIno, parents: parents, closers: closers}
}

// Close closes the folders of the source the tree keeps open. Files
// already open keep reading; nothing of the tree may be opened or looked
// at after (a server closes a tree it no longer serves once no file of it
// is open; a look-up racing with that gets an error, never another file).
func (t *Tree) Close() {
	t.closeOnce.Do(func() {
		for _, c := range t.closers {
			c.Close()
		}
	})
}

// Parent returns the folder holding dir (the root holds itself).
func (t *Tree) Parent(dir *Node) *Node {
	if p := t.parents[dir]; p != nil {
		return p
	}
	return t.Root
}

// Node finds a node by inode number (nil if there is none).
func (t *Tree) Node(ino uint64) *Node {
	i, ok := slices.BinarySearch(t.inos, ino)
	if !ok {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.companions[ino].n
	}
	return t.byIno[i]
}

// Bytes is the Content of a file the tree holds in memory.
type Bytes []byte

func (m Bytes) Open() (Reader, error) { return memReader{bytes.NewReader(m)}, nil }

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }
