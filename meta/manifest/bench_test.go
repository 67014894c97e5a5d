package manifest_test

import (
	"path/filepath"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/manifest"
)

// BenchmarkReadDB reads the Manifest.db of IOSPHOTOFS_BENCH_SOURCE
// (scripts/bench writes a 300,000-row backup), or of a 20,000-row one.
func BenchmarkReadDB(b *testing.B) {
	src := fixture.BenchSource(b)
	for b.Loop() {
		if _, err := manifest.ReadDB(filepath.Join(src, "Manifest.db"), 2, false, func([]backup.Record) {}); err != nil {
			b.Fatal(err)
		}
	}
}
