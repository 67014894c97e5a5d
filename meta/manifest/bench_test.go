package manifest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/manifest"
)

// BenchmarkReadDB reads the Manifest.db of IOSPHOTOFS_BENCH_SOURCE
// (scripts/bench writes a 300,000-row backup), or of a 20,000-row one.
func BenchmarkReadDB(b *testing.B) {
	src := os.Getenv("IOSPHOTOFS_BENCH_SOURCE")
	if src == "" {
		src = b.TempDir()
		if err := fixture.Big(20000, 0).Write(src); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := manifest.ReadDB(filepath.Join(src, "Manifest.db"), 2, func([]backup.Record) {}); err != nil {
			b.Fatal(err)
		}
	}
}
