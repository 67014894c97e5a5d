package index

import (
	"os/exec"
	"path/filepath"
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
