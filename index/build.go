package index

import (
	"cmp"
	"encoding/binary"
	"github.com/iosphotofs/iosphotofs/model"
	"io"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// builder assembles a Tree: directories are made on demand, and on finish
// children are sorted, colliding names resolved and inode numbers checked.
// Nodes may be added in any order: the result depends only on what was
// added, so the same source always gives the same tree.
type builder struct {
	root    *model.Node
	dirs    map[string]*model.Node // by tree path, "" is the root
	dirTime int64                  // mtime of directories no source row describes
	files   int64
	bytes   int64
	// srcKeys holds the source path of nodes whose tree path differs from
	// it (sanitised or normalised names); collisions are ordered by it.
	srcKeys map[*model.Node]string
	// links maps each extra name of a file (a view entry) to its node:
	// the same file, under the same inode number.
	links map[*model.Node]*model.Node
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
	root := &model.Node{Ino: model.RootIno, Mode: model.MadeDir, Mtime: dirTime, Ctime: dirTime}
	return &builder{root: root, dirs: map[string]*model.Node{"": root}, dirTime: dirTime, srcKeys: map[*model.Node]string{}, links: map[*model.Node]*model.Node{}}
}

// dir returns the directory at a tree path of safe names, making it and its
// parents as needed.
func (b *builder) dir(p string) *model.Node {
	if d, ok := b.dirs[p]; ok {
		return d
	}
	parent, name := path.Split(p)
	parentDir := b.dir(strings.TrimSuffix(parent, "/"))
	d := &model.Node{Name: name, Ino: model.HashIno("dir:" + p), Mode: model.MadeDir, Mtime: b.dirTime, Ctime: b.dirTime}
	parentDir.Children = append(parentDir.Children, d)
	b.dirs[p] = d
	return d
}

// add puts n into the directory at tree path dir. A directory node given
// here describes (and replaces the attributes of) any directory made on
// demand at the same path.
func (b *builder) add(dir string, n *model.Node) {
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
func (b *builder) addTo(parent *model.Node, n *model.Node) {
	parent.Children = append(parent.Children, n)
	if n.Mode&model.ModeType == model.ModeRegular {
		b.files++
		b.bytes += n.Size
	}
}

// link adds another name for the file n in the directory at tree path dir
// (hard-link semantics: same inode, same bytes); key orders it among equal
// names there, as sourceKey does.
func (b *builder) link(dir string, n *model.Node, name, key string) {
	l := *n
	l.Name = name
	b.links[&l] = n
	b.srcKeys[&l] = key
	b.dir(dir).Children = append(b.dir(dir).Children, &l)
}

// sourceKey records where n came from when its tree path (under dir) is
// not its source path; key must be in tree-path form ("files/<Domain>/<raw path>").
func (b *builder) sourceKey(n *model.Node, key string) { b.srcKeys[n] = key }

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
	all := make([]*model.Node, 1, len(b.dirs)+int(b.files)+len(b.links))
	all[0] = b.root
	var walk func(d *model.Node)
	parents := map[*model.Node]*model.Node{}
	walk = func(d *model.Node) {
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
	byIno, ok := b.sortByIno(all)
	if !ok {
		// Rare (a 63-bit hash collision or a reserved number): renumber in
		// tree order, which is stable.
		seen := make(map[uint64]*model.Node, len(all))
		seen[model.RootIno] = b.root
		for _, n := range all[1:] {
			uniqueIno(seen, b.canon(n))
		}
		byIno, _ = b.sortByIno(all)
	}
	b.countLinks(all)
	t := model.New(b.root, byIno, parents, b.closers)
	t.Bytes, t.Files = b.bytes, b.files
	return &Tree{Tree: t}
}

// resolveAll resolves the colliding names of every folder, a level of the
// tree at a time (a folder's path depends on its parent's renames), the
// folders of a level on all cores: sorting 300k names is most of a
// build's last step, which nothing else overlaps.
func (b *builder) resolveAll() {
	type dirAt struct {
		d *model.Node
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
func (b *builder) canon(n *model.Node) *model.Node {
	if c := b.links[n]; c != nil {
		return c
	}
	return n
}

// countLinks gives every name of a file its inode number (which a
// renumbering may have changed) and the count of its names.
func (b *builder) countLinks(all []*model.Node) {
	if len(b.links) == 0 {
		return
	}
	names := map[*model.Node]uint32{}
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
func (b *builder) sortByIno(nodes []*model.Node) (byIno []*model.Node, ok bool) {
	sorted := make([]inoEntry, len(nodes))
	for i, n := range nodes {
		c := b.canon(n)
		sorted[i] = inoEntry{c.Ino, c}
	}
	sorted = sortInoEntries(sorted)
	ok = sorted[0].n == nodes[0] && sorted[0].ino == model.RootIno
	byIno = make([]*model.Node, 0, len(sorted))
	for i, e := range sorted {
		if i > 0 && e.n == sorted[i-1].n {
			continue
		}
		if i > 0 && e.ino <= sorted[i-1].ino {
			ok = false
		}
		byIno = append(byIno, e.n)
	}
	return byIno, ok
}

type inoEntry struct {
	ino uint64
	n   *model.Node
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
func uniqueIno(seen map[uint64]*model.Node, n *model.Node) {
	for n.Ino <= model.RootIno || (seen[n.Ino] != nil && seen[n.Ino] != n) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], n.Ino)
		n.Ino = model.HashIno("again:" + string(b[:]))
	}
	seen[n.Ino] = n
}

// resolveCollisions sorts d's children (at tree path p) by name; where
// names repeat, the one with the earliest source path keeps the name and
// the others get " (2)", " (3)"... skipping names already taken. A file
// sorts before a directory made for paths below the same name (its source
// path "x" is before "x/...").
func (b *builder) resolveCollisions(d *model.Node, p string) {
	byName := func(x, y *model.Node) int { return cmp.Compare(x.Name, y.Name) }
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
	key := func(n *model.Node) string {
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
		slices.SortFunc(run, func(x, y *model.Node) int { return cmp.Or(cmp.Compare(key(x), key(y)), cmp.Compare(x.Ino, y.Ino)) })
		k := 2 // numbers only go up within a run: no name is tried twice
		for _, c := range run[1:] {
			for ; ; k++ {
				if alt := model.Numbered(run[0].Name, k, c.IsDir()); !taken[alt] {
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
