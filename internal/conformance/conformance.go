//go:build linux

// Package conformance is one suite of what a user's tools see in a served
// tree (like rclone's vfstest): the listing, sizes that are the bytes read,
// times, modes, link counts, symlinks, refused writes, SQLite databases in
// WAL mode, and many threads reading one open file. Each way the tree is
// served (the FUSE mount, the mount after a live rebuild, extract's
// output, and the servers to come) is a Target checked against the
// model.Tree it serves, through real programs (find, sqlite3) and the
// system's own calls.
package conformance

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/model"
)

// Target is a served tree as this machine sees it.
type Target struct {
	// Dir is where the tree is: a mount point, or extract's output.
	Dir string
	// ReadOnly says every write must fail with "Read-only file system"
	// (a mount; extract's output is the user's own folder).
	ReadOnly bool
}

// T is what the suite needs of a test: a *testing.T, or the recorder of
// the suite's own tests (which make sure each check can fail).
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
}

// check is one part of the suite.
type check struct {
	name string
	run  func(t T, nodes map[string]*model.Node, dir string, want map[string][]byte)
}

var checks = []check{
	{"listing", checkListing},
	{"bytes", checkBytes},
	{"sqlite-wal", checkWAL},
	{"parallel-reads", checkParallelReads},
	{"read-only", checkReadOnly},
}

// Check runs the whole suite on tg, which serves tree. want lists files
// the source's maker put there, by tree path, with their bytes: what the
// tree itself is checked against.
func Check(t *testing.T, tree *model.Tree, tg Target, want map[string][]byte) {
	nodes := flatten(tree.Root)
	for _, c := range checks {
		if c.name == "read-only" && !tg.ReadOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) { c.run(t, nodes, tg.Dir, want) })
	}
}

// flatten maps every path of the tree ("" is the root) to its node.
func flatten(root *model.Node) map[string]*model.Node {
	m := map[string]*model.Node{}
	var walk func(p string, n *model.Node)
	walk = func(p string, n *model.Node) {
		m[p] = n
		for _, c := range n.Children {
			walk(path.Join(p, c.Name), c)
		}
	}
	walk("", root)
	return m
}

// entry is what find says of one name.
type entry struct {
	kind   byte // f, d or l
	size   int64
	mtime  int64
	perm   uint32
	nlink  uint32
	target string
}

// listing runs find over dir: every name below it, with its attributes.
func listing(t T, dir string) map[string]entry {
	t.Helper()
	out, err := exec.Command("find", dir, "-printf", `%P\0%y\0%s\0%T@\0%m\0%n\0%l\0`).Output()
	if err != nil {
		t.Fatalf("find %s: %v", dir, err)
	}
	fields := strings.Split(string(out), "\x00")
	got := map[string]entry{}
	for i := 0; i+7 <= len(fields); i += 7 {
		f := fields[i : i+7]
		var e entry
		e.kind = f[1][0]
		e.size, _ = strconv.ParseInt(f[2], 10, 64)
		secs, _, _ := strings.Cut(f[3], ".")
		e.mtime, _ = strconv.ParseInt(secs, 10, 64)
		perm, _ := strconv.ParseUint(f[4], 8, 32)
		nlink, _ := strconv.ParseUint(f[5], 10, 32)
		e.perm, e.nlink, e.target = uint32(perm), uint32(nlink), f[6]
		got[f[0]] = e
	}
	return got
}

// expected is what find must say of a node.
func expected(t T, n *model.Node) entry {
	e := entry{perm: n.Mode & 0o777, mtime: n.Mtime, nlink: max(n.Nlink, 1), target: n.Target}
	switch n.Mode & model.ModeType {
	case model.ModeDir:
		e.kind = 'd'
		e.size = -1 // a folder's size is the server's own business
	case model.ModeSymlink:
		e.kind = 'l'
		e.size = int64(len(n.Target))
	default:
		e.kind = 'f'
		size, err := model.SizeOf(n)
		if err != nil {
			t.Errorf("%s: the model has no size: %v", n.Name, err)
		}
		e.size = size
	}
	return e
}

// checkListing: the same names as the model, each with its type, size,
// modification time, permission bits, link count and symlink target.
func checkListing(t T, nodes map[string]*model.Node, dir string, _ map[string][]byte) {
	got := listing(t, dir)
	for _, p := range sortedKeys(nodes) {
		g, ok := got[p]
		if !ok {
			t.Errorf("%q: in the tree, not served", p)
			continue
		}
		w := expected(t, nodes[p])
		if w.size == -1 {
			g.size = -1
		}
		if g != w {
			t.Errorf("%q: served %+v, the tree says %+v", p, g, w)
		}
	}
	for _, p := range sortedKeys(got) {
		if nodes[p] == nil {
			t.Errorf("%q: served, not in the tree", p)
		}
	}
}

// content reads a file of the model.
func content(n *model.Node) ([]byte, error) {
	size, err := model.SizeOf(n)
	if err != nil {
		return nil, err
	}
	r, err := n.Content.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b := make([]byte, size)
	k, err := r.ReadAt(b, 0)
	if k == len(b) {
		err = nil
	}
	return b, err
}

// checkBytes reads every file whole, as cp and rsync do: the bytes are
// the model's, as many as stat said; and the files the source's maker
// listed are there with their bytes.
func checkBytes(t T, nodes map[string]*model.Node, dir string, want map[string][]byte) {
	for _, p := range sortedKeys(nodes) {
		n := nodes[p]
		if n.Mode&model.ModeType != model.ModeRegular {
			continue
		}
		w, err := content(n)
		if err != nil {
			t.Errorf("%q: the model cannot read it: %v", p, err)
			continue
		}
		got, err := os.ReadFile(filepath.Join(dir, p))
		switch {
		case err != nil:
			t.Errorf("%q: %v", p, err)
		case !bytes.Equal(got, w):
			t.Errorf("%q: served %d bytes that differ from the tree's %d", p, len(got), len(w))
		}
	}
	for _, p := range sortedKeys(want) {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || !bytes.Equal(got, want[p]) {
			t.Errorf("%q: the source's file is not served whole (%d bytes, want %d; %v)", p, len(got), len(want[p]), err)
		}
	}
}

// checkWAL opens every database that has a -wal beside it with sqlite3
// -readonly, as a user does: it opens, and gives the rows of a private
// copy of the database and its WAL.
func checkWAL(t T, nodes map[string]*model.Node, dir string, _ map[string][]byte) {
	var dbs []string
	for _, p := range sortedKeys(nodes) {
		if wal := nodes[p+"-wal"]; wal != nil && nodes[p].Mode&model.ModeType == model.ModeRegular {
			dbs = append(dbs, p)
		}
	}
	if len(dbs) == 0 {
		t.Skipf("no database with a -wal in this tree")
	}
	if _, err := exec.LookPath("sqlite3"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but sqlite3 is missing: %v", err)
		}
		t.Skipf("no sqlite3: %v", err)
	}
	for _, p := range dbs {
		private := t.TempDir()
		for _, suffix := range []string{"", "-wal"} {
			b, err := content(nodes[p+suffix])
			if err == nil {
				err = os.WriteFile(filepath.Join(private, "db"+suffix), b, 0o600)
			}
			if err != nil {
				t.Fatalf("%v", err)
			}
		}
		want := dump(t, filepath.Join(private, "db"))
		if got := dump(t, filepath.Join(dir, p)); got != want {
			t.Errorf("%q: sqlite3 -readonly gives\n%s\nwant\n%s", p, got, want)
		}
	}
}

func dump(t T, db string) string {
	out, err := exec.Command("sqlite3", "-readonly", db, ".dump").CombinedOutput()
	if err != nil {
		t.Errorf("sqlite3 -readonly %s: %v: %s", db, err, out)
	}
	return string(out)
}

// largestFile is the model's largest file, and its bytes.
func largestFile(nodes map[string]*model.Node) (p string, data []byte) {
	for _, q := range sortedKeys(nodes) {
		if n := nodes[q]; n.Mode&model.ModeType == model.ModeRegular && n.Size > int64(len(data)) {
			if b, err := content(n); err == nil && len(b) > len(data) {
				p, data = q, b
			}
		}
	}
	return p, data
}

// checkParallelReads opens the tree's largest file once and reads random
// ranges of it from 16 threads at once, as a media server or a parallel
// copier does: every range is the model's bytes.
func checkParallelReads(t T, nodes map[string]*model.Node, dir string, _ map[string][]byte) {
	largest, want := largestFile(nodes)
	if len(want) == 0 {
		t.Skipf("no file with bytes in this tree")
	}
	f, err := os.Open(filepath.Join(dir, largest))
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 256<<10)
			for range 64 {
				off := rng.Int64N(int64(len(want)))
				p := buf[:1+rng.IntN(len(buf))]
				k, err := f.ReadAt(p, off)
				end := min(off+int64(len(p)), int64(len(want)))
				if (err != nil && k != int(end-off)) || !bytes.Equal(p[:k], want[off:end]) {
					t.Errorf("%q: %d bytes at %d: got %d bytes (%v) that differ from the tree's", largest, len(p), off, k, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// checkReadOnly tries every kind of change on a file and a folder of the
// tree: each fails with EROFS.
func checkReadOnly(t T, nodes map[string]*model.Node, dir string, _ map[string][]byte) {
	var file string
	for _, p := range sortedKeys(nodes) {
		if nodes[p].Mode&model.ModeType == model.ModeRegular {
			file = p
			break
		}
	}
	if file == "" {
		t.Fatalf("no file in the tree")
	}
	CheckReadOnly(t, filepath.Join(dir, file))
	// Nothing stored in a source runs from the mount, or acts as a device.
	opts := mountOptions(t, dir)
	for _, want := range []string{"ro", "noexec", "nosuid", "nodev"} {
		if !slices.Contains(opts, want) {
			t.Errorf("mounted with %q, without %s", opts, want)
		}
	}
}

// mountOptions are the options of the mount at dir (/proc/self/mountinfo:
// the sixth field of its line).
func mountOptions(t T, dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatalf("%v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[4] == dir {
			return strings.Split(f[5], ",")
		}
	}
	t.Fatalf("%s is not a mount point", dir)
	return nil
}

// CheckReadOnly tries every kind of change on file and its folder of a
// mount: each must fail with "Read-only file system".
func CheckReadOnly(t T, file string) {
	t.Helper()
	d := filepath.Dir(file)
	checks := map[string]error{}
	_, err := os.OpenFile(file, os.O_WRONLY, 0)
	checks["open for writing"] = err
	_, err = os.Create(filepath.Join(d, "new.txt"))
	checks["create"] = err
	checks["mkdir"] = os.Mkdir(filepath.Join(d, "newdir"), 0o755)
	checks["unlink"] = os.Remove(file)
	checks["rmdir"] = syscall.Rmdir(d)
	checks["rename"] = os.Rename(file, filepath.Join(d, "moved.txt"))
	checks["chmod"] = os.Chmod(file, 0o644)
	checks["chown"] = os.Chown(file, os.Getuid(), os.Getgid())
	checks["chtimes"] = os.Chtimes(file, time.Now(), time.Now())
	checks["symlink"] = os.Symlink("x", filepath.Join(d, "link"))
	checks["link"] = os.Link(file, filepath.Join(d, "hard"))
	checks["truncate"] = os.Truncate(file, 0)
	checks["mknod"] = syscall.Mknod(filepath.Join(d, "fifo"), syscall.S_IFIFO|0o644, 0)
	checks["setxattr"] = syscall.Setxattr(file, "user.x", []byte("1"), 0)
	checks["removexattr"] = syscall.Removexattr(file, "user.x")
	for _, op := range sortedKeys(checks) {
		if err := checks[op]; !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s: got %v, want EROFS", op, err)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
