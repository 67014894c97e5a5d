//go:build linux

package fs

import (
	"bytes"
	"errors"
	"github.com/iosphotofs/iosphotofs/model"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// requireFUSE skips without /dev/fuse and fusermount3, except under CI
// where their absence is a failure.
func requireFUSE(t *testing.T) {
	t.Helper()
	_, err := os.Stat("/dev/fuse")
	if err == nil {
		_, err = exec.LookPath("fusermount3")
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but FUSE is missing: %v", err)
	}
	t.Skipf("no FUSE: %v", err)
}

// sourceFDs counts this process's descriptors open on src or in it.
func sourceFDs(t *testing.T, src string) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && (target == src || strings.HasPrefix(target, src+"/")) {
			n++
		}
	}
	return n
}

// liveSample mounts the sample backup until the test ends; build makes a
// new tree of it, for Swap.
func liveSample(t *testing.T, opt Options) (src string, build func() *model.Tree, srv *Server) {
	t.Helper()
	requireFUSE(t)
	b, err := fixture.Sample(false)
	src = fixture.WriteTemp(t, b, err)
	bk, err := backup.Detect(src)
	if err != nil {
		t.Fatal(err)
	}
	build = func() *model.Tree {
		tree, err := index.FromBackup(bk, index.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return tree.Tree
	}
	opt.UID, opt.GID = uint32(os.Getuid()), uint32(os.Getgid())
	if srv, err = Mount(build(), t.TempDir(), opt); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if srv.Unmount() != nil {
			exec.Command("fusermount3", "-u", "-z", srv.Mountpoint).Run()
		}
	})
	return src, build, srv
}

// A live mount rebuilt many times while a file stays open: the open file
// keeps reading what it opened, new opens read what the source holds now
// (a payload replaced since included), and every tree no longer served
// closes its folders once its last file is closed.
func TestRebuildsKeepOpenFilesAndCloseOldTrees(t *testing.T) {
	src, build, srv := liveSample(t, Options{})
	mnt := srv.Mountpoint
	var held *os.File
	t.Cleanup(func() {
		// Before the unmount (cleanups run last first): the kernel asks
		// this process's server to let the file go, and an unmount waits
		// for it.
		if held != nil {
			held.Close()
		}
	})
	passthrough, _ := srv.Passthrough()

	const rel = "files/AppDomain-com.example.notes/Documents/notes.txt"
	id := fixture.FileID("AppDomain-com.example.notes", "Documents/notes.txt")
	payload := filepath.Join(src, id[:2], id)
	first, err := os.ReadFile(payload)
	if err != nil {
		t.Fatal(err)
	}
	held, err = os.Open(filepath.Join(mnt, rel))
	if err != nil {
		t.Fatal(err)
	}
	start := sourceFDs(t, src) // the first tree's folders, and the file
	// Replaced as backup writers do (a new file renamed over the old),
	// with the same size, so only the bytes tell the trees apart.
	now := bytes.ToUpper(first)
	if err := os.WriteFile(payload+".new", now, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(payload+".new", payload); err != nil {
		t.Fatal(err)
	}
	// Without the collector, a tree left to its finalizers keeps its
	// folders open.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for i := range 100 {
		srv.Swap(build())
		// The first tree (the file holds it) and the one served.
		if n := sourceFDs(t, src); n > 2*start {
			t.Fatalf("rebuild %d: %d descriptors open on the source, %d with one tree", i, n, start)
		}
		got := make([]byte, len(first))
		if n, err := held.ReadAt(got, 0); n != len(first) || !bytes.Equal(got, first) {
			t.Fatalf("rebuild %d: the file opened before reads %q, %v; want %q", i, got[:n], err, first)
		}
		// A file not open yet reads through the new tree.
		const other = "files/HomeDomain/Documents/dup.txt"
		if got, err := os.ReadFile(filepath.Join(mnt, other)); err != nil || string(got) != "first\n" {
			t.Fatalf("rebuild %d: %s reads %q, %v", i, other, got, err)
		}
	}
	// The kernel passes every open of an inode through to one file: while
	// the old payload is open, the replaced one cannot be, and says why.
	_, err = os.ReadFile(filepath.Join(mnt, rel))
	if passthrough && !errors.Is(err, syscall.ESTALE) {
		t.Errorf("opening a payload replaced while its old copy is open: %v, want ESTALE", err)
	}
	held.Close()
	held = nil
	if passthrough {
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := os.ReadFile(filepath.Join(mnt, rel))
			if err == nil && bytes.Equal(got, now) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("once the old copy is closed, a new open reads %q, %v; want %q", got, err, now)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The first tree and the one served now hold the same folders: once
	// the kernel has released the file, and the first tree with it, one
	// descriptor fewer is open than while it was.
	deadline := time.Now().Add(5 * time.Second)
	for sourceFDs(t, src) != start-1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d descriptors open on the source after 100 rebuilds, %d before them", sourceFDs(t, src), start)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Without passthrough the kernel keeps what it read of a file between
// opens: a payload replaced in the source with one of the same size (its
// manifest row unchanged, so the rebuilt tree looks the same) must not be
// served from that cache once the tree is rebuilt.
func TestReplacedPayloadNotReadFromCache(t *testing.T) {
	src, build, srv := liveSample(t, Options{NoPassthrough: true})
	mnt := srv.Mountpoint
	const rel = "files/AppDomain-com.example.notes/Documents/notes.txt"
	id := fixture.FileID("AppDomain-com.example.notes", "Documents/notes.txt")
	payload := filepath.Join(src, id[:2], id)
	first, err := os.ReadFile(filepath.Join(mnt, rel)) // now in the kernel's cache
	if err != nil {
		t.Fatal(err)
	}
	now := bytes.ToUpper(first)
	if err := os.WriteFile(payload+".new", now, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(payload+".new", payload); err != nil {
		t.Fatal(err)
	}
	srv.Swap(build())
	if got, err := os.ReadFile(filepath.Join(mnt, rel)); err != nil || !bytes.Equal(got, now) {
		t.Errorf("after the rebuild: %q, %v; want %q", got, err, now)
	}
	// Unchanged since, it may be served from the cache again.
	if got, err := os.ReadFile(filepath.Join(mnt, rel)); err != nil || !bytes.Equal(got, now) {
		t.Errorf("read again: %q, %v; want %q", got, err, now)
	}
}
