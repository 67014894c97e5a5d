//go:build !windows

package fs

import (
	iofs "io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// BenchmarkColdWalk mounts a backup's tree afresh for every walk (so the
// kernel's caches are empty) and walks it like find, side by side with the
// same walk over the source folder. Needs /dev/fuse and fusermount3.
//
//	IOSPHOTOFS_BENCH_SOURCE=$PWD/.bench-out/backup-300000 go test -bench ColdWalk -run - ./fs
func BenchmarkColdWalk(b *testing.B) {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		b.Skip("no /dev/fuse")
	}
	src := fixture.BenchSource(b)
	bk, err := backup.Detect(src)
	if err != nil {
		b.Fatal(err)
	}
	tree, err := index.FromBackup(bk, index.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	walk := func(b *testing.B, dir string) (n int) {
		err := filepath.WalkDir(dir, func(string, iofs.DirEntry, error) error { n++; return nil })
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	b.Run("mount", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			mnt := b.TempDir()
			srv, err := Mount(tree.Tree, mnt, Options{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			walk(b, filepath.Join(mnt, "files"))
			b.StopTimer()
			srv.Unmount()
			b.StartTimer()
		}
	})
	b.Run("source-folder", func(b *testing.B) {
		for b.Loop() {
			walk(b, src)
		}
	})
}
