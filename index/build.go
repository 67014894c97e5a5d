package index

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// RootIno is the inode number of the mount's root.
const RootIno = 1

// maxName is the longest name (in bytes) most filesystems accept.
const maxName = 255

// builder assembles a Tree: directories are made on demand, names made safe,
// and on finish collisions are resolved and inode numbers checked.
type builder struct {
	root    *Node
	dirs    map[string]*Node // by tree path, "" is the root
	dirTime int64            // mtime of directories no source row describes
	files   int64
	bytes   int64
}

func newBuilder(dirTime int64) *builder {
	root := &Node{Ino: RootIno, Mode: ModeDir | 0o555, Mtime: dirTime, Ctime: dirTime}
	return &builder{root: root, dirs: map[string]*Node{"": root}, dirTime: dirTime}
}

// dir returns the directory at a tree path of safe names, making it and its
// parents as needed.
func (b *builder) dir(p string) *Node {
	if d, ok := b.dirs[p]; ok {
		return d
	}
	parent, name := path.Split(p)
	parentDir := b.dir(strings.TrimSuffix(parent, "/"))
	d := &Node{Name: name, Ino: hashIno("dir:" + p), Mode: ModeDir | 0o555, Mtime: b.dirTime, Ctime: b.dirTime}
	parentDir.Children = append(parentDir.Children, d)
	b.dirs[p] = d
	return d
}

// add puts n into the directory at tree path dir. A directory node given
// here describes (and replaces the attributes of) any directory made on
// demand at the same path.
func (b *builder) add(dir string, n *Node) {
	if n.IsDir() {
		d := b.dir(joinPath(dir, n.Name))
		d.Mode, d.Mtime, d.Ctime, d.Btime = n.Mode, n.Mtime, n.Ctime, n.Btime
		if n.Ino != 0 {
			d.Ino = n.Ino
		}
		return
	}
	parent := b.dir(dir)
	parent.Children = append(parent.Children, n)
	if n.Mode&ModeType == ModeRegular {
		b.files++
		b.bytes += n.Size
	}
}

func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	if name == "" {
		return dir
	}
	return dir + "/" + name
}

// finish sorts every directory, renames colliding names and makes inode
// numbers unique, then returns the tree.
func (b *builder) finish() *Tree {
	seen := make(map[uint64]*Node, len(b.dirs)+int(b.files))
	seen[RootIno] = b.root
	var walk func(d *Node)
	walk = func(d *Node) {
		resolveCollisions(d)
		for _, c := range d.Children {
			uniqueIno(seen, c)
			if c.IsDir() {
				walk(c)
			}
		}
	}
	walk(b.root)
	return &Tree{Root: b.root, Bytes: b.bytes, Files: b.files}
}

// uniqueIno gives n another stable number if its own is taken by another
// node (the same node seen twice is a hard link and keeps it).
func uniqueIno(seen map[uint64]*Node, n *Node) {
	for n.Ino <= RootIno || (seen[n.Ino] != nil && seen[n.Ino] != n) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], n.Ino)
		n.Ino = hashIno("again:" + string(b[:]))
	}
	seen[n.Ino] = n
}

func hashIno(key string) uint64 {
	sum := sha1.Sum([]byte(key))
	return idIno(sum[:8])
}

// idIno takes an inode number from the start of a SHA-1 (a fileID is one).
func idIno(b []byte) uint64 {
	return binary.BigEndian.Uint64(b) >> 1 // stay clear of the top bit: some tools treat inos as signed
}

// resolveCollisions sorts d's children by name; where names repeat, the
// first in insertion order (which is source-path order) keeps the name and
// the others get " (2)", " (3)"... skipping names already taken.
func resolveCollisions(d *Node) {
	byName := func(a, b *Node) int { return cmp.Compare(a.Name, b.Name) }
	slices.SortStableFunc(d.Children, byName)
	dup := false
	for i := 1; i < len(d.Children); i++ {
		if d.Children[i].Name == d.Children[i-1].Name {
			dup = true
			break
		}
	}
	if !dup {
		return
	}
	taken := make(map[string]bool, len(d.Children))
	orig := make([]string, len(d.Children))
	for i, c := range d.Children {
		taken[c.Name] = true
		orig[i] = c.Name
	}
	for i := 1; i < len(d.Children); i++ {
		if orig[i] != orig[i-1] {
			continue
		}
		c := d.Children[i]
		for k := 2; ; k++ {
			if alt := numbered(orig[i], k, c.IsDir()); !taken[alt] {
				taken[alt] = true
				c.Name = alt
				break
			}
		}
	}
	slices.SortStableFunc(d.Children, byName)
}

// numbered returns "stem (k).ext" (directories: "name (k)"), kept within
// maxName bytes.
func numbered(name string, k int, isDir bool) string {
	stem, ext := name, ""
	if !isDir {
		ext = path.Ext(name)
		if ext == name || len(ext) > 32 {
			ext = ""
		}
		stem = name[:len(name)-len(ext)]
	}
	suffix := fmt.Sprintf(" (%d)", k)
	return truncateUTF8(stem, maxName-len(suffix)-len(ext)) + suffix + ext
}

// SafeName makes one path component safe to show: no '/' or NUL, never
// empty, "." or "..", at most 255 bytes (long names keep their extension
// and gain a short hash of the full name, so shortened names stay unique).
func SafeName(s string) string {
	switch s {
	case "":
		return "_"
	case ".":
		return "_"
	case "..":
		return "__"
	}
	if strings.ContainsAny(s, "/\x00") {
		s = strings.NewReplacer("/", "_", "\x00", "_").Replace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "_")
	}
	if len(s) <= maxName {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > 32 {
		ext = ""
	}
	sum := sha1.Sum([]byte(s))
	tag := fmt.Sprintf("~%x", sum[:4])
	return truncateUTF8(s[:len(s)-len(ext)], maxName-len(tag)-len(ext)) + tag + ext
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SafePath splits a source's relative path into safe names. Empty and "."
// components are dropped and ".." removes the previous name (never going
// above the start), so nothing can point outside its folder; changed tells
// whether ".." was met, which callers report.
func SafePath(p string) (names []string, changed bool) {
	for part := range strings.SplitSeq(p, "/") {
		switch part {
		case "", ".":
		case "..":
			changed = true
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
		default:
			names = append(names, SafeName(part))
		}
	}
	return names, changed
}
