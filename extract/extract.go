// Package extract writes an model.Tree into a real folder, for systems
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
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/iosphotofs/iosphotofs/model"
	"golang.org/x/text/cases"
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
	// NoSymlinks counts symlinks the system would not make (Windows
	// without the right to): left out, not an error.
	NoSymlinks int
	// Unreadable lists the files the source could not give (a damaged
	// payload, say), each "path: why": the run goes on without them.
	Unreadable []string
}

// ErrUnreadable ends a run that wrote everything else but the files in
// Stats.Unreadable.
var ErrUnreadable = errors.New("extract: some files could not be read from the source")

// sourceError is a file the source could not give: it is listed, and the
// run goes on (an error of the destination, a full disk say, stops it).
type sourceError struct{ error }

// ErrCanceled is returned when Cancel stopped a run.
var ErrCanceled = errors.New("extract: stopped")

// partPrefix names files being written: a run that is killed leaves only
// these, which the next run removes.
const partPrefix = ".iosphotofs-part-"

// copiers is how many files are written at once: copying waits on the
// disk more than on the CPU.
const copiers = 4

// Run writes tree into dest (made if missing): folders and symlinks as
// the tree is walked, the files by a few copiers at once, then the extra
// names of files in several views, then the folders' times (which
// writing into them changed).
func Run(tree *model.Tree, dest string, opt Options) (Stats, error) {
	x := &run{opt: opt, first: map[uint64]string{}, linking: !opt.Copies, jobs: make(chan fileJob)}
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
	if x.fold = foldsNames(dest, opt.DryRun); x.fold {
		x.folder = cases.Fold()
	}
	var wg sync.WaitGroup
	for range copiers {
		wg.Go(func() {
			for j := range x.jobs {
				x.done(x.file(j.n, j.path))
			}
		})
	}
	for _, r := range roots {
		path := dest
		for _, step := range r.path {
			path = filepath.Join(path, x.destName(step.parent, step.i))
		}
		if err := x.node(r.node, path); err != nil {
			x.done(err)
			break
		}
	}
	close(x.jobs)
	wg.Wait()
	for _, l := range x.links {
		if x.err != nil {
			break
		}
		x.done(x.link(l.n, l.first, l.path))
	}
	for i := range x.dirTimes {
		if x.err != nil || x.opt.DryRun {
			break
		}
		d := x.dirTimes[i]
		if err := os.Chtimes(d.path, d.t, d.t); err != nil {
			x.done(stop(d.path, err))
		}
	}
	if x.err == nil && len(x.st.Unreadable) > 0 {
		slices.Sort(x.st.Unreadable)
		x.err = ErrUnreadable
	}
	return x.st, x.err
}

// fileJob is a file to write; a link, a name of one written already.
type fileJob struct {
	n    *model.Node
	path string
}

type linkJob struct {
	n           *model.Node
	first, path string
}

type dirTime struct {
	path string
	t    time.Time
}

type root struct {
	node *model.Node
	path []step // from the tree's root down to it
}

// step is a child of a folder: its i-th.
type step struct {
	parent *model.Node
	i      int
}

type run struct {
	opt      Options
	fold     bool              // dest takes names equal but for case or normalization for one
	folder   cases.Caser       // folds names when fold
	first    map[uint64]string // where each file (by inode) is written first
	linking  bool              // hard links work in dest (until one fails)
	jobs     chan fileJob
	links    []linkJob
	dirTimes []dirTime // in post-order: a folder after its contents

	mu  sync.Mutex // the copiers share st and err
	st  Stats
	err error // the first error: the run stops
}

// done counts a finished file, and keeps the first error (a file the
// source could not give is listed instead).
func (x *run) done(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	var se sourceError
	switch {
	case errors.As(err, &se):
		x.st.Unreadable = append(x.st.Unreadable, se.Error())
	case err != nil && x.err == nil:
		x.err = err
	}
	if x.opt.Progress != nil {
		x.opt.Progress(x.st)
	}
}

// count changes the stats under the lock.
func (x *run) count(f func(*Stats)) {
	x.mu.Lock()
	f(&x.st)
	x.mu.Unlock()
}

func (x *run) failed() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err != nil
}

// roots finds the nodes of the views asked for.
func (x *run) roots(tree *model.Tree) ([]root, error) {
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
		var path []step
		for _, part := range parts {
			i := slices.IndexFunc(n.Children, func(c *model.Node) bool { return c.Name == part })
			if i < 0 {
				return nil, fmt.Errorf("extract: the tree has no %s", v)
			}
			path = append(path, step{n, i})
			n = n.Children[i]
		}
		out = append(out, root{node: n, path: path})
	}
	return out, nil
}

func countFiles(n *model.Node) int {
	switch n.Mode & model.ModeType {
	case model.ModeRegular:
		return 1
	case model.ModeDir:
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

// destName is what the i-th child of parent is written as.
func (x *run) destName(parent *model.Node, i int) string {
	if names := x.names(parent.Children); names != nil {
		return names[i]
	}
	return parent.Children[i].Name
}

// node writes n at path.
func (x *run) node(n *model.Node, path string) error {
	switch n.Mode & model.ModeType {
	case model.ModeDir:
		return x.dir(n, path)
	case model.ModeSymlink:
		return x.symlink(n, path)
	}
	if x.canceled() {
		return ErrCanceled
	}
	if x.failed() {
		return nil // the copiers stopped: the error is theirs
	}
	if first, seen := x.first[n.Ino]; seen && x.linking {
		x.links = append(x.links, linkJob{n, first, path})
		return nil
	}
	x.first[n.Ino] = path
	x.jobs <- fileJob{n, path}
	return nil
}

func (x *run) dir(n *model.Node, path string) error {
	if !x.opt.DryRun {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return stop(path, err)
		}
		x.removeParts(path)
	}
	x.count(func(st *Stats) { st.Dirs++ })
	names := x.names(n.Children)
	for i, c := range n.Children {
		name := c.Name
		if names != nil {
			name = names[i]
		}
		if err := x.node(c, filepath.Join(path, name)); err != nil {
			return err
		}
	}
	x.dirTimes = append(x.dirTimes, dirTime{path, time.Unix(n.Mtime, 0)})
	return nil
}

// removeParts deletes what a killed run left half-written in a folder.
func (x *run) removeParts(dir string) {
	parts, _ := filepath.Glob(filepath.Join(dir, partPrefix+"*"))
	for _, p := range parts {
		os.Remove(p)
	}
}

func (x *run) symlink(n *model.Node, path string) error {
	if t, err := os.Readlink(path); err == nil && t == n.Target && sameMtime(path, n) {
		x.count(func(st *Stats) { st.Skipped++ })
		return nil
	}
	x.plan("symlink", path)
	if x.opt.DryRun {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), partPrefix+filepath.Base(path))
	os.Remove(tmp)
	if err := os.Symlink(n.Target, tmp); err != nil {
		if runtime.GOOS == "windows" {
			x.count(func(st *Stats) { st.NoSymlinks++ })
			return nil
		}
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
	x.count(func(st *Stats) { st.Symlinks++ })
	return nil
}

func (x *run) plan(action, path string) {
	if x.opt.Plan != nil {
		x.mu.Lock()
		x.opt.Plan(action, path)
		x.mu.Unlock()
	}
}

// file writes a regular file (its first name), unless path holds it
// already (same size and mtime).
func (x *run) file(n *model.Node, path string) error {
	if x.canceled() || x.failed() {
		return nil
	}
	size, err := model.SizeOf(n)
	if err != nil {
		return sourceError{fmt.Errorf("%s: %w", path, err)}
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == size && fi.ModTime().Unix() == n.Mtime {
		x.count(func(st *Stats) { st.Skipped++ })
		return nil
	}
	x.plan("write", path)
	if !x.opt.DryRun {
		if err := x.copy(n, size, path); err != nil {
			return err
		}
	}
	x.count(func(st *Stats) { st.Files++; st.Bytes += size })
	return nil
}

// link makes path another name of the file written at first, unless it
// is one already; where dest has no hard links, it writes a copy.
func (x *run) link(n *model.Node, first, path string) error {
	if fi, err := os.Lstat(path); err == nil && sameFile(first, fi) {
		x.count(func(st *Stats) { st.Skipped++ })
		return nil
	}
	x.plan("link", path)
	if x.opt.DryRun {
		x.count(func(st *Stats) { st.Linked++ })
		return nil
	}
	if x.linking {
		if err := hardLink(first, path); err == nil {
			x.count(func(st *Stats) { st.Linked++ })
			return nil
		}
		x.linking = false // this filesystem has no hard links: copy from now on
	}
	return x.file(n, path)
}

func sameMtime(path string, n *model.Node) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.ModTime().Unix() == n.Mtime
}

func sameFile(path string, fi os.FileInfo) bool {
	other, err := os.Lstat(path)
	return err == nil && os.SameFile(other, fi)
}

// hardLink makes path another name of the file at first, atomically.
func hardLink(first, path string) error {
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
func (x *run) copy(n *model.Node, size int64, path string) error {
	r, err := n.Content.Open()
	if err != nil {
		return sourceError{fmt.Errorf("%s: %w", path, err)}
	}
	defer r.Close()
	tmp, err := os.CreateTemp(filepath.Dir(path), partPrefix+"*")
	if err != nil {
		return stop(path, err)
	}
	// A plain source file is copied by the kernel (copy_file_range), as
	// cp does; decrypted and converted files through a buffer.
	from := &readErrors{r: io.NewSectionReader(r, 0, size)}
	var src io.Reader = from
	f, plain := r.(*os.File)
	if plain {
		src = io.LimitReader(f, size)
	}
	written, err := io.Copy(tmp, src)
	switch {
	case plain && err != nil && !destinationError(err):
		// The kernel copied: what failed is told by the kind of error.
		from.err = err
	case err == nil && written != size:
		from.err = fmt.Errorf("the source gave %d bytes, not %d", written, size)
	}
	if from.err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return sourceError{fmt.Errorf("%s: %w", path, from.err)}
	}
	if err == nil {
		// The file's permission bits, and the owner may change the copy.
		err = tmp.Chmod(fs.FileMode(n.Mode&0o777 | 0o200))
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	t := time.Unix(n.Mtime, 0)
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

// readErrors keeps the error of the source's side of a copy (io.Copy's
// own error may be the destination's).
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
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

// destinationError reports whether err is one of writing: the disk full,
// no permission, a file too large for the destination.
func destinationError(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) ||
		errors.Is(err, syscall.EFBIG)
}
