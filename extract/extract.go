// Package extract writes an index.Tree into a real folder, for systems
// without FUSE: the same names, sizes and times the mount shows, a file
// in several views hard-linked rather than copied, and nothing written
// twice. It walks the same Tree as the mount.
package extract

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/iosphotofs/iosphotofs/index"
)

// Options tune an extract.
type Options struct {
	// Views are the tree paths to write ("by-date", "files/HomeDomain");
	// none means the whole tree.
	Views []string
	// Copies writes a file in several views once per view, not as hard
	// links.
	Copies bool
	// DryRun writes nothing and tells Plan what would be written.
	DryRun bool
	Plan   func(action, path string)
	// WindowsNames makes names safe on Windows (reserved names, trailing
	// dots and spaces, <>:"\|?*).
	WindowsNames bool
	// Progress, if set, is called after each file.
	Progress func(Stats)
	// Cancel, when closed, stops the run after the file being written.
	Cancel <-chan struct{}
}

// Stats counts what a run did.
type Stats struct {
	Files, Linked, Skipped, Symlinks, Dirs int
	Bytes                                  int64 // written
	Total                                  int   // regular files to do, written or not
}

// ErrCanceled is returned when Cancel stopped a run.
var ErrCanceled = errors.New("extract: stopped")

// partPrefix names files being written: a run that is killed leaves only
// these, which the next run removes.
const partPrefix = ".iosphotofs-part-"

// Run writes tree into dest (made if missing).
func Run(tree *index.Tree, dest string, opt Options) (Stats, error) {
	x := &run{opt: opt, first: map[uint64]string{}, linking: !opt.Copies}
	roots, err := x.roots(tree)
	if err != nil {
		return x.st, err
	}
	for _, r := range roots {
		x.st.Total += countFiles(r.node)
	}
	if !opt.DryRun {
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return x.st, stop(dest, err)
		}
	}
	for _, r := range roots {
		parent := dest
		for _, name := range r.parents {
			parent = filepath.Join(parent, x.name(name))
		}
		if err := x.node(r.node, parent); err != nil {
			return x.st, err
		}
	}
	return x.st, nil
}

type root struct {
	node    *index.Node
	parents []string // the names above it in the tree
}

type run struct {
	opt     Options
	st      Stats
	first   map[uint64]string // where each file (by inode) was first written
	linking bool              // hard links work in dest (until one fails)
}

// roots finds the nodes of the views asked for.
func (x *run) roots(tree *index.Tree) ([]root, error) {
	if len(x.opt.Views) == 0 {
		return []root{{node: tree.Root}}, nil
	}
	var out []root
	for _, v := range x.opt.Views {
		parts := strings.FieldsFunc(v, func(r rune) bool { return r == '/' })
		if len(parts) == 0 {
			return []root{{node: tree.Root}}, nil
		}
		n := tree.Root
		for _, part := range parts {
			if n = n.Child(part); n == nil {
				return nil, fmt.Errorf("extract: the tree has no %s", v)
			}
		}
		out = append(out, root{node: n, parents: parts[:len(parts)-1]})
	}
	return out, nil
}

func countFiles(n *index.Node) int {
	switch n.Mode & index.ModeType {
	case index.ModeRegular:
		return 1
	case index.ModeDir:
		c := 0
		for _, k := range n.Children {
			c += countFiles(k)
		}
		return c
	}
	return 0
}

func (x *run) canceled() bool {
	select {
	case <-x.opt.Cancel:
		return true
	default:
		return false
	}
}

// node writes n into the folder parent (n itself named n.Name; the root
// is parent itself).
func (x *run) node(n *index.Node, parent string) error {
	path := parent
	if n.Name != "" {
		path = filepath.Join(parent, x.name(n.Name))
	}
	switch n.Mode & index.ModeType {
	case index.ModeDir:
		return x.dir(n, path)
	case index.ModeSymlink:
		return x.symlink(n, path)
	}
	if x.canceled() {
		return ErrCanceled
	}
	err := x.file(n, path)
	if x.opt.Progress != nil {
		x.opt.Progress(x.st)
	}
	return err
}

func (x *run) dir(n *index.Node, path string) error {
	if !x.opt.DryRun {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return stop(path, err)
		}
		x.removeParts(path)
	}
	x.st.Dirs++
	for _, c := range n.Children {
		if err := x.node(c, path); err != nil {
			return err
		}
	}
	if x.opt.DryRun {
		return nil
	}
	// After its contents, which change a folder's mtime.
	t := time.Unix(n.Mtime, 0)
	if err := os.Chtimes(path, t, t); err != nil {
		return stop(path, err)
	}
	return nil
}

// removeParts deletes what a killed run left half-written in a folder.
func (x *run) removeParts(dir string) {
	parts, _ := filepath.Glob(filepath.Join(dir, partPrefix+"*"))
	for _, p := range parts {
		os.Remove(p)
	}
}

func (x *run) symlink(n *index.Node, path string) error {
	if t, err := os.Readlink(path); err == nil && t == n.Target && sameMtime(path, n) {
		x.st.Skipped++
		return nil
	}
	x.plan("symlink", path)
	if x.opt.DryRun {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), partPrefix+filepath.Base(path))
	os.Remove(tmp)
	if err := os.Symlink(n.Target, tmp); err != nil {
		return stop(path, err)
	}
	if err := lchtimes(tmp, time.Unix(n.Mtime, 0)); err != nil {
		os.Remove(tmp)
		return stop(path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return stop(path, err)
	}
	x.st.Symlinks++
	return nil
}

func (x *run) plan(action, path string) {
	if x.opt.Plan != nil {
		x.opt.Plan(action, path)
	}
}

// file writes a regular file, or links it to where the same file was
// written already, unless path already holds it (same size and mtime).
func (x *run) file(n *index.Node, path string) error {
	size, err := index.SizeOf(n)
	if err != nil {
		return fmt.Errorf("extract: %s: %w", path, err)
	}
	first, seen := x.first[n.Ino]
	if !seen {
		x.first[n.Ino] = path
	}
	fi, err := os.Lstat(path)
	if err == nil && fi.Mode().IsRegular() && fi.Size() == size && fi.ModTime().Unix() == n.Mtime {
		if !seen || !x.linking || sameFile(first, fi) {
			x.st.Skipped++
			return nil
		}
	}
	if seen && x.linking {
		x.plan("link", path)
		if x.opt.DryRun {
			x.st.Linked++
			return nil
		}
		if err := x.link(first, path); err == nil {
			x.st.Linked++
			return nil
		}
		x.linking = false // this folder's filesystem has no hard links: copy from now on
	}
	x.plan("write", path)
	if x.opt.DryRun {
		x.st.Files++
		x.st.Bytes += size
		return nil
	}
	if err := x.copy(n, size, path); err != nil {
		return err
	}
	x.st.Files++
	x.st.Bytes += size
	return nil
}

func sameMtime(path string, n *index.Node) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.ModTime().Unix() == n.Mtime
}

func sameFile(path string, fi os.FileInfo) bool {
	other, err := os.Lstat(path)
	return err == nil && os.SameFile(other, fi)
}

// link makes path another name of the file at first, atomically.
func (x *run) link(first, path string) error {
	tmp := filepath.Join(filepath.Dir(path), partPrefix+filepath.Base(path))
	os.Remove(tmp)
	if err := os.Link(first, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// copy writes the file's bytes under a temporary name in its folder, sets
// its times and renames it into place: a run that stops leaves no file
// half-written under a real name.
func (x *run) copy(n *index.Node, size int64, path string) error {
	r, err := n.Content.Open()
	if err != nil {
		return fmt.Errorf("extract: reading %s: %w", path, err)
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), partPrefix+"*")
	if err != nil {
		return stop(path, err)
	}
	written, err := io.Copy(tmp, io.NewSectionReader(r, 0, size))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && written != size {
		err = fmt.Errorf("the source gave %d bytes, not %d", written, size)
	}
	t := time.Unix(n.Mtime, 0)
	if err == nil {
		// The mount's read-only bits, and the owner may change the copy.
		err = os.Chmod(tmp.Name(), fs.FileMode(n.Mode&0o555|0o200))
	}
	if err == nil {
		err = os.Chtimes(tmp.Name(), t, t)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return stop(path, err)
	}
	return nil
}

// stop words an error that ends the run: one line, the path and why.
func stop(path string, err error) error {
	var why string
	switch {
	case errors.Is(err, syscall.ENOSPC):
		why = "the disk is full"
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		why = "no permission to write there"
	default:
		why = err.Error()
	}
	return fmt.Errorf("extract: %s: %s (what was written before is intact)", path, why)
}
