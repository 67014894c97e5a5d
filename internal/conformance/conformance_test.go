//go:build linux

package conformance_test

import (
	"bytes"
	"github.com/iosphotofs/iosphotofs/model"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/extract"
	"github.com/iosphotofs/iosphotofs/fs"
	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/conformance"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/streams"
)

// source is one kind of source: write makes it (and says which files it
// must show, with their bytes), build makes its tree.
type source struct {
	name  string
	write func(t *testing.T) (dir string, want map[string][]byte)
	build func(t *testing.T, dir string) *model.Tree
}

const password = "conformance"

// sources are the kinds of source the tool takes.
var sources = []source{
	{"modern", sampleWith(func(b *fixture.Backup) {}), fromBackup},
	{"legacy", sampleWith(func(b *fixture.Backup) { b.Legacy = true }), fromBackup},
	{"encrypted", sampleWith(func(b *fixture.Backup) { b.Encrypted, b.Password = true, password }), fromBackup},
	{"no-manifest", damaged(fixture.NoManifest), fromBackup},
	{"corrupt-manifest", damaged(fixture.CorruptManifest), fromBackup},
	{"streams-ilife", streamStore(streams.ILife), fromStreams},
	{"streams-cloud", streamStore(streams.CloudPhotos), fromStreams},
	{"folder", photoFolder, func(t *testing.T, dir string) *model.Tree { return built(t)(index.FromFolder(dir, index.Options{})) }},
}

// Every source, served by the FUSE mount, by the same mount after a live
// rebuild, and by extract: each passes the whole suite.
func TestConformance(t *testing.T) {
	for _, s := range sources {
		t.Run(s.name, func(t *testing.T) {
			src, want := s.write(t)
			t.Run("fuse", func(t *testing.T) {
				tree := s.build(t, src)
				srv := mount(t, tree)
				conformance.Check(t, tree, conformance.Target{Dir: srv.Mountpoint, ReadOnly: true}, want)
				t.Run("rebuilt", func(t *testing.T) {
					rebuilt := s.build(t, src)
					srv.Swap(rebuilt)
					conformance.Check(t, rebuilt, conformance.Target{Dir: srv.Mountpoint, ReadOnly: true}, want)
				})
			})
			t.Run("extract", func(t *testing.T) {
				// The mount closed the first tree when the rebuilt one replaced it.
				tree := s.build(t, src)
				dest := filepath.Join(t.TempDir(), "out")
				if _, err := extract.Run(tree, dest, extract.Options{}); err != nil {
					t.Fatal(err)
				}
				conformance.Check(t, tree, conformance.Target{Dir: dest}, want)
			})
		})
	}
}

// mount serves tree on a new mount point until the test ends.
func mount(t *testing.T, tree *model.Tree) *fs.Server {
	t.Helper()
	if _, err := os.Stat("/dev/fuse"); err != nil || exec.Command("fusermount3", "--version").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but FUSE is missing: %v", err)
		}
		t.Skip("no FUSE here")
	}
	srv, err := fs.Mount(tree, t.TempDir(), fs.Options{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if srv.Unmount() != nil {
			exec.Command("fusermount3", "-u", "-z", srv.Mountpoint).Run()
		}
	})
	return srv
}

func built(t *testing.T) func(*index.Tree, error) *model.Tree {
	return func(tree *index.Tree, err error) *model.Tree {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tree.Tree
	}
}

func fromBackup(t *testing.T, dir string) *model.Tree {
	bk, err := backup.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	return built(t)(index.FromBackup(bk, index.Options{Password: []byte(password)}))
}

func fromStreams(t *testing.T, dir string) *model.Tree {
	return built(t)(index.FromStreams(dir, streams.Detect(dir), index.Options{}))
}

// sampleWith is the sample backup changed by edit, with what the sample
// lacks for the suite: a database in WAL mode caught between checkpoints
// (with rows only in its -wal), and a file of several MiB (reads that
// span many pages, and many AES blocks when encrypted).
func sampleWith(edit func(*fixture.Backup)) func(t *testing.T) (string, map[string][]byte) {
	return func(t *testing.T) (string, map[string][]byte) {
		b, err := fixture.Sample(false)
		if err != nil {
			t.Fatal(err)
		}
		db, wal, err := fixture.WALDatabase(`CREATE TABLE Event (summary TEXT); INSERT INTO Event VALUES ('checkpointed')`,
			`INSERT INTO Event VALUES ('only in the WAL')`)
		if err != nil {
			t.Fatal(err)
		}
		big := make([]byte, 5<<20+123)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range big {
			big[i] = byte(rng.Uint32())
		}
		for rel, data := range map[string][]byte{
			"Library/Calendar/Calendar.sqlitedb":     db,
			"Library/Calendar/Calendar.sqlitedb-wal": wal,
			"Library/Caches/large.bin":               big,
		} {
			b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: rel, Flags: fixture.FlagFile, Data: data, MTime: fixture.T1})
		}
		edit(b)
		return fixture.WriteTemp(t, b, nil), plainFiles(b)
	}
}

// plainFiles are the regular files of a backup whose names need no
// changing (clean paths, short names, no file where another row has a
// folder), at files/<Domain>/<path>: each must be there with its bytes.
func plainFiles(b *fixture.Backup) map[string][]byte {
	isFile := map[string]bool{}
	for _, e := range b.Entries {
		if e.Flags == fixture.FlagFile {
			isFile[e.Domain+"/"+e.Path] = true
		}
	}
	want := map[string][]byte{}
	for _, e := range b.Entries {
		p := e.Domain + "/" + e.Path
		if e.Flags != fixture.FlagFile || e.NoPayload || path.Clean(p) != p || strings.HasPrefix(e.Path, "/") ||
			slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return len(s) > 255 }) {
			continue
		}
		shadowed := false
		for dir := path.Dir(p); dir != "." && !shadowed; dir = path.Dir(dir) {
			shadowed = isFile[dir]
		}
		for other := range isFile {
			shadowed = shadowed || strings.HasPrefix(other, p+"/")
		}
		if !shadowed {
			want["files/"+p] = e.Data
		}
	}
	return want
}

func damaged(d fixture.Damage) func(t *testing.T) (string, map[string][]byte) {
	return func(t *testing.T) (string, map[string][]byte) {
		b, err := fixture.Damaged(d)
		return fixture.WriteTemp(t, b, err), nil
	}
}

func streamStore(layout streams.Layout) func(t *testing.T) (string, map[string][]byte) {
	return func(t *testing.T) (string, map[string][]byte) {
		s, err := fixture.Streams(int(layout))
		return fixture.WriteTemp(t, s, err), nil
	}
}

// photoFolder is a folder of exported photos: two with the same capture
// second, a Live Photo pair, and a file that is not a photo.
func photoFolder(t *testing.T) (string, map[string][]byte) {
	dir := t.TempDir()
	a, err := fixture.Photo{Taken: time.Date(2023, 12, 31, 23, 59, 58, 0, time.UTC), Offset: "-05:00"}.JPEG()
	if err != nil {
		t.Fatal(err)
	}
	live, err := fixture.Photo{Taken: time.Date(2024, 4, 1, 0, 30, 0, 0, time.UTC), Offset: "+02:00"}.JPEG()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"a.jpg":        a,
		"sub/b.jpg":    bytes.Clone(a),
		"IMG_0010.JPG": live,
		"IMG_0010.MOV": fixture.QuickTime(time.Date(2024, 3, 31, 22, 30, 2, 0, time.UTC), "", ""),
		"notes.txt":    []byte("not a photo\n"),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, nil
}
