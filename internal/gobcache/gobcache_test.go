package gobcache

import (
	"os"
	"path/filepath"
	"testing"
)

// A cache saved is loaded back; a damaged one, or none, loads as nothing;
// no folder means no caching at all.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := File(filepath.Join(dir, "cache"), "kind", "source")
	if p == File(filepath.Join(dir, "cache"), "kind", "other source") {
		t.Fatal("two sources share a cache file")
	}
	var got map[string]int
	if Load(p, &got) {
		t.Fatal("a missing cache loaded")
	}
	if err := Save(p, map[string]int{"a": 1}); err != nil {
		t.Fatal(err)
	}
	if !Load(p, &got) || got["a"] != 1 {
		t.Fatalf("loaded %v", got)
	}
	os.WriteFile(p, []byte("not a gob"), 0o600)
	if Load(p, &got) {
		t.Error("a damaged cache loaded")
	}
	if File("", "kind", "source") != "" || Save("", 1) != nil || Load("", &got) {
		t.Error("no folder still caches")
	}
}
