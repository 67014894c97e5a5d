package index

import (
	"github.com/iosphotofs/iosphotofs/model"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// BenchmarkBuild measures an index build side by side with its physical
// reference, the sqlite3 CLI scanning the same Files table. It uses the
// backup named by IOSPHOTOFS_BENCH_SOURCE (scripts/bench writes a
// 300,000-row one) or writes a 20,000-row backup.
//
//	IOSPHOTOFS_BENCH_SOURCE=$PWD/.bench-out/backup-300000 go test -bench Build -run - ./index
func BenchmarkBuild(b *testing.B) {
	src := fixture.BenchSource(b)
	bk, err := backup.Detect(src)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			if _, err := FromBackup(bk, Options{Workers: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sqlite3-cli", func(b *testing.B) {
		if _, err := exec.LookPath("sqlite3"); err != nil {
			b.Skip("no sqlite3")
		}
		for b.Loop() {
			cmd := exec.Command("sqlite3", filepath.Join(src, "Manifest.db"), "select * from Files")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHeaders measures the header pass over a camera roll (files/s),
// side by side with its physical reference: opening each file and reading
// its first 64 KiB. It uses the backup named by IOSPHOTOFS_BENCH_PHOTOS
// (scripts/bench-photos writes a 50,000-photo one) or writes 5,000 photos.
//
//	IOSPHOTOFS_BENCH_PHOTOS=$PWD/.bench-out/camera-hdr go test -bench Headers -run - ./index
func BenchmarkHeaders(b *testing.B) {
	src := os.Getenv("IOSPHOTOFS_BENCH_PHOTOS")
	if src == "" {
		src = filepath.Join(b.TempDir(), "backup")
		bk, err := fixture.Camera(5000, false, false)
		if err == nil {
			err = bk.Write(src)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	bk, err := backup.Detect(src)
	if err != nil {
		b.Fatal(err)
	}
	tree, err := FromBackup(bk, Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	var files []*model.Node
	var walk func(n *model.Node)
	walk = func(n *model.Node) {
		for _, c := range n.Children {
			if c.Content != nil {
				files = append(files, c)
			}
			walk(c)
		}
	}
	walk(tree.Root.Child("files").Child("CameraRollDomain"))
	b.Run("header-pass", func(b *testing.B) {
		for b.Loop() {
			v := photoViews{}
			for _, n := range files {
				v.list = append(v.list, &photo{node: n})
			}
			v.readHeaders(2, openHeaderCache("", ""), nil)
		}
		b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
	})
	b.Run("read-64KiB", func(b *testing.B) {
		for b.Loop() {
			jobs := make(chan *model.Node)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					buf := make([]byte, 64<<10)
					for n := range jobs {
						if r, err := n.Content.Open(); err == nil {
							r.ReadAt(buf[:min(len(buf), int(n.Size))], 0)
							r.Close()
						}
					}
				})
			}
			for _, n := range files {
				jobs <- n
			}
			close(jobs)
			wg.Wait()
		}
		b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "files/s")
	})
}
