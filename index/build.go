package index

import (
	"cmp"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// RootIno is the inode number of the mount's root.
const RootIno = 1

// maxName is the longest name (in bytes) most filesystems accept.
const maxName = 255

// builder assembles a Tree: directories are made on demand, and on finish
// children are sorted, colliding names resolved and inode numbers checked.
// Nodes may be added in any order: the result depends only on what was
// added, so the same source always gives the same tree.
type builder struct {
	root    *Node
	dirs    map[string]*Node // by tree path, "" is the root
	dirTime int64            // mtime of directories no source row describes
	files   int64
	bytes   int64
	// srcKeys holds the source path of nodes whose tree path differs from
	// it (sanitised or normalised names); collisions are ordered by it.
	srcKeys map[*Node]string
	// links maps each extra name of a file (a view entry) to its node:
	// the same file, under the same inode number.
	links map[*Node]*Node
	// closers are the source folders the tree's files open from.
	closers closers
}

// own hands an open source folder to the tree (see Tree.Close).
func (b *builder) own(c io.Closer) { b.closers = append(b.closers, c) }

// abandon closes what the tree would have owned, for a build that fails.
func (b *builder) abandon() { b.closers.close() }

// closers are open source folders.
type closers []io.Closer

func (cs closers) close() {
	for _, c := range cs {
		c.Close()
	}
}

func newBuilder(dirTime int64) *builder {
	root := &Node{Ino: RootIno, Mode: madeDir, Mtime: dirTime, Ctime: dirTime}
	return &builder{root: root, dirs: map[string]*Node{"": root}, dirTime: dirTime, srcKeys: map[*Node]string{}, links: map[*Node]*Node{}}
}

// dir returns the directory at a tree path of safe names, making it and its
// parents as needed.
func (b *builder) dir(p string) *Node {
	if d, ok := b.dirs[p]; ok {
		return d
	}
	parent, name := path.Split(p)
	parentDir := b.dir(strings.TrimSuffix(parent, "/"))
	d := &Node{Name: name, Ino: hashIno("dir:" + p), Mode: madeDir, Mtime: b.dirTime, Ctime: b.dirTime}
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
	b.addTo(b.dir(dir), n)
}

// addTo puts a file or symlink into a directory node got from dir.
func (b *builder) addTo(parent *Node, n *Node) {
	parent.Children = append(parent.Children, n)
	if n.Mode&ModeType == ModeRegular {
		b.files++
		b.bytes += n.Size
	}
}

// link adds another name for the file n in the directory at tree path dir
// (hard-link semantics: same inode, same bytes); key orders it among equal
// names there, as sourceKey does.
func (b *builder) link(dir string, n *Node, name, key string) {
	l := *n
	l.Name = name
	b.links[&l] = n
	b.srcKeys[&l] = key
	b.dir(dir).Children = append(b.dir(dir).Children, &l)
}

// sourceKey records where n came from when its tree path (under dir) is
// not its source path; key must be in tree-path form ("files/<Domain>/<raw path>").
func (b *builder) sourceKey(n *Node, key string) { b.srcKeys[n] = key }

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
	b.resolveAll()
	// Room for every node but symlinks, which are few.
	all := make([]*Node, 1, len(b.dirs)+int(b.files)+len(b.links))
	all[0] = b.root
	var walk func(d *Node)
	parents := map[*Node]*Node{}
	walk = func(d *Node) {
		all = append(all, d.Children...)
		d.Nlink = 2 // its name, and its "."
		for _, c := range d.Children {
			if c.IsDir() {
				d.Nlink++ // the ".." of each folder in it
				parents[c] = d
				walk(c)
			}
		}
	}
	walk(b.root)
	t := &Tree{Root: b.root, Bytes: b.bytes, Files: b.files, closers: b.closers, parents: parents}
	var ok bool
	if t.inos, t.byIno, ok = b.sortByIno(all); !ok {
		// Rare (a 63-bit hash collision or a reserved number): renumber in
		// tree order, which is stable.
		seen := make(map[uint64]*Node, len(all))
		seen[RootIno] = b.root
		for _, n := range all[1:] {
			uniqueIno(seen, b.canon(n))
		}
		t.inos, t.byIno, _ = b.sortByIno(all)
	}
	b.countLinks(all)
	return t
}

// resolveAll resolves the colliding names of every folder, a level of the
// tree at a time (a folder's path depends on its parent's renames), the
// folders of a level on all cores: sorting 300k names is most of a
// build's last step, which nothing else overlaps.
func (b *builder) resolveAll() {
	type dirAt struct {
		d *Node
		p string
	}
	level := []dirAt{{b.root, ""}}
	for len(level) > 0 {
		parts := min(runtime.NumCPU(), max(1, len(level)/16))
		var wg sync.WaitGroup
		for w := range parts {
			wg.Go(func() {
				for _, x := range level[len(level)*w/parts : len(level)*(w+1)/parts] {
					b.resolveCollisions(x.d, x.p)
				}
			})
		}
		wg.Wait()
		var next []dirAt
		for _, x := range level {
			for _, c := range x.d.Children {
				if c.IsDir() {
					next = append(next, dirAt{c, joinPath(x.p, c.Name)})
				}
			}
		}
		level = next
	}
}

// canon returns the file a link names (a node is its own).
func (b *builder) canon(n *Node) *Node {
	if c := b.links[n]; c != nil {
		return c
	}
	return n
}

// countLinks gives every name of a file its inode number (which a
// renumbering may have changed) and the count of its names.
func (b *builder) countLinks(all []*Node) {
	if len(b.links) == 0 {
		return
	}
	names := map[*Node]uint32{}
	for _, n := range b.links {
		names[n]++
	}
	for _, n := range all {
		if k, ok := names[n]; ok {
			names[n] = k + 1 // the file's own name, where it has one in the tree
		}
	}
	for l, n := range b.links {
		l.Ino, l.Nlink, n.Nlink = n.Ino, names[n], names[n]
	}
}

// sortByIno lists the files (links stand for the file they name) sorted
// by inode number, each once, and reports whether every number is unique
// with only the first node (the root) at RootIno.
func (b *builder) sortByIno(nodes []*Node) (inos []uint64, byIno []*Node, ok bool) {
	sorted := make([]inoEntry, len(nodes))
	for i, n := range nodes {
		c := b.canon(n)
		sorted[i] = inoEntry{c.Ino, c}
	}
	sorted = sortInoEntries(sorted)
	ok = sorted[0].n == nodes[0] && sorted[0].ino == RootIno
	inos, byIno = make([]uint64, 0, len(sorted)), make([]*Node, 0, len(sorted))
	for i, e := range sorted {
		if i > 0 && e.n == sorted[i-1].n {
			continue
		}
		if i > 0 && e.ino <= sorted[i-1].ino {
			ok = false
		}
		inos, byIno = append(inos, e.ino), append(byIno, e.n)
	}
	return inos, byIno, ok
}

type inoEntry struct {
	ino uint64
	n   *Node
}

// sortInoEntries returns es sorted by inode number. The numbers are hashes
// spread evenly over 63 bits: a counting sort on their top bits leaves
// runs of a few, which one insertion pass puts in order. This is on a
// build's critical path, and is several times faster than a comparison
// sort of 300,000 entries. A manifest can name files with any fileIDs,
// though: where the runs are long (the numbers bunch up), or there are too
// few entries to be worth it, a comparison sort does it.
func sortInoEntries(es []inoEntry) []inoEntry {
	const bits = 17
	byIno := func(x, y inoEntry) int { return cmp.Compare(x.ino, y.ino) }
	if len(es) < 1<<12 {
		slices.SortFunc(es, byIno)
		return es
	}
	counts := make([]uint32, 1<<bits+1)
	longest := uint32(0)
	for _, e := range es {
		k := e.ino>>(64-bits) + 1
		counts[k]++
		longest = max(longest, counts[k])
	}
	if longest > 32+8*uint32(len(es)>>(bits-1)) {
		slices.SortFunc(es, byIno)
		return es
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	out := make([]inoEntry, len(es))
	for _, e := range es {
		k := e.ino >> (64 - bits)
		out[counts[k]] = e
		counts[k]++
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j-1].ino > out[j].ino; j-- {
			out[j-1], out[j] = out[j], out[j-1]
		}
	}
	return out
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

// resolveCollisions sorts d's children (at tree path p) by name; where
// names repeat, the one with the earliest source path keeps the name and
// the others get " (2)", " (3)"... skipping names already taken. A file
// sorts before a directory made for paths below the same name (its source
// path "x" is before "x/...").
func (b *builder) resolveCollisions(d *Node, p string) {
	byName := func(x, y *Node) int { return cmp.Compare(x.Name, y.Name) }
	slices.SortFunc(d.Children, byName)
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
	key := func(n *Node) string {
		k, ok := b.srcKeys[n]
		if !ok {
			k = joinPath(p, n.Name)
		}
		if n.IsDir() {
			k += "/"
		}
		return k
	}
	taken := make(map[string]bool, len(d.Children))
	for _, c := range d.Children {
		taken[c.Name] = true
	}
	kids := d.Children
	for i := 0; i < len(kids); {
		j := i + 1
		for j < len(kids) && kids[j].Name == kids[i].Name {
			j++
		}
		run := kids[i:j]
		slices.SortFunc(run, func(x, y *Node) int { return cmp.Or(cmp.Compare(key(x), key(y)), cmp.Compare(x.Ino, y.Ino)) })
		k := 2 // numbers only go up within a run: no name is tried twice
		for _, c := range run[1:] {
			for ; ; k++ {
				if alt := Numbered(run[0].Name, k, c.IsDir()); !taken[alt] {
					taken[alt] = true
					c.Name = alt
					break
				}
			}
		}
		i = j
	}
	slices.SortFunc(d.Children, byName)
}

// numbered returns "stem (k).ext" (directories: "name (k)"), kept within
// maxName bytes.
func Numbered(name string, k int, isDir bool) string {
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
// whether the names differ from the path's own, which callers report.
func SafePath(p string) (names []string, changed bool) {
	for part := range strings.SplitSeq(p, "/") {
		switch part {
		case "", ".":
			changed = changed || p != ""
		case "..":
			changed = true
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
		default:
			safe := SafeName(part)
			changed = changed || safe != part
			names = append(names, safe)
		}
	}
	return names, changed
}

// splitSafe returns the safe folder path and name of a relative path. Most
// paths need no change, and for those it allocates nothing.
func splitSafe(p string) (dir, name string, changed bool) {
	if isSafePath(p) {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return "", p, false
		}
		return p[:i], p[i+1:], false
	}
	names, changed := SafePath(p)
	if len(names) == 0 {
		return "", "", changed
	}
	return strings.Join(names[:len(names)-1], "/"), names[len(names)-1], changed
}

// isSafePath reports whether SafePath would keep p as it is.
func isSafePath(p string) bool {
	if p == "" || strings.IndexByte(p, 0) >= 0 || !utf8.ValidString(p) {
		return false
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		part := p[start:i]
		if part == "" || part == "." || part == ".." || len(part) > maxName {
			return false
		}
		start = i + 1
	}
	return true
}
