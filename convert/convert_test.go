package convert

import (
	"bytes"
	"errors"
	"image/jpeg"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gen2brain/heic"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

const corpusHEIC = "../../shared/corpus/iphone15pro-ios26.heic"

func readCorpus(t testing.TB) []byte {
	data, err := os.ReadFile(corpusHEIC)
	if err != nil {
		t.Skipf("the shared corpus is not beside the clone: %v", err)
	}
	return data
}

// exifFields are what a converted copy must keep (the list), as
// exiftool -a -G1 names them: the HEIC's first ICC profile is its primary
// image's ("Display P3"), the second its gain map's.
var exifFields = []string{"ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal", "GPS:GPSLatitude", "GPS:GPSLongitude",
	"IFD0:Make", "IFD0:Model", "ICC_Profile:ProfileDescription"}

func exiftool(t *testing.T, path string) map[string]any {
	t.Helper()
	tags, err := fixture.ExifTags(path)
	if err != nil {
		t.Fatal(err)
	}
	return tags
}

// TestHEICToJPEG converts the real iPhone HEIC (iOS 26: Debian's libheif
// fails on it, so this also runs the WASM fallback where libheif is
// installed) and checks the JPEG with Go's decoder and exiftool.
func TestHEICToJPEG(t *testing.T) {
	data := readCorpus(t)
	out, err := HEICToJPEG(bytes.NewReader(data), int64(len(data)), 92)
	if errors.Is(err, ErrLibheif) {
		out, err = inProcessWASM(bytes.NewReader(data), int64(len(data)), 92)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(out))
	if err != nil || cfg.Width != 5712 || cfg.Height != 4284 {
		t.Fatalf("JPEG config %+v, %v", cfg, err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Fatalf("the JPEG does not decode: %v", err)
	}
	if _, err := exec.LookPath("exiftool"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but exiftool is missing")
		}
		t.Skip("no exiftool")
	}
	dir := t.TempDir()
	jp := filepath.Join(dir, "out.jpg")
	os.WriteFile(jp, out, 0o644)
	src, got := exiftool(t, corpusHEIC), exiftool(t, jp)
	for _, f := range exifFields {
		if src[f] == nil || got[f] != src[f] {
			t.Errorf("%s: JPEG %v, HEIC %v", f, got[f], src[f])
		}
	}
	if got["IFD0:Orientation"] != float64(1) {
		t.Errorf("Orientation %v, want 1", got["IFD0:Orientation"])
	}
}

func TestCorruptHEICFails(t *testing.T) {
	data := readCorpus(t)
	cut := data[:len(data)/3]
	if _, err := HEICToJPEG(bytes.NewReader(cut), int64(len(cut)), 92); err == nil {
		t.Error("a truncated HEIC converted")
	}
	junk := []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	if _, err := HEICToJPEG(bytes.NewReader(junk), int64(len(junk)), 92); err == nil {
		t.Error("a HEIC without images converted")
	}
}

type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

func source(data []byte) Source {
	return func() (ReaderAtCloser, int64, error) { return memFile{bytes.NewReader(data)}, int64(len(data)), nil }
}

// testPool returns a pool of workers converters over a new cache, closed
// when the test ends.
func testPool(t *testing.T, workers int) (*Cache, *Pool) {
	cache, err := OpenCache(t.TempDir(), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPool(cache, 92, workers, 1<<30)
	p.Fallback = inProcessWASM
	t.Cleanup(p.Close)
	return cache, p
}

// TestPool converts through the pool: concurrent waiters share one
// conversion, a second pool over the same cache converts nothing, and a
// failure is remembered.
func TestPool(t *testing.T) {
	data := readCorpus(t)
	cache, p := testPool(t, 2)
	j := p.Job(Key("corpus", "92"), "test", source(data))
	if j.Ready() {
		t.Fatal("ready before converting")
	}
	j.Prefetch()
	var wg sync.WaitGroup
	sizes := make([]int64, 8)
	for i := range sizes {
		wg.Go(func() {
			f, err := j.Open()
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			fi, _ := f.Stat()
			sizes[i] = fi.Size()
		})
	}
	wg.Wait()
	size, err := j.Size()
	for _, s := range sizes {
		if s != size || err != nil {
			t.Fatalf("sizes %v, Size %d, %v", sizes, size, err)
		}
	}
	if n := p.Converted.Load(); n != 1 {
		t.Errorf("%d conversions for one job", n)
	}
	again := NewPool(cache, 92, 1, 1<<30)
	defer again.Close()
	if j2 := again.Job(Key("corpus", "92"), "test", source(data)); !j2.Ready() || again.Converted.Load() != 0 {
		t.Error("a second pool over the cache does not find the JPEG")
	}
	bad := p.Job(Key("bad"), "test", source(data[:1000]))
	if _, err := bad.Size(); err == nil {
		t.Fatal("a truncated HEIC converted")
	}
	if b := again.Job(Key("bad"), "test", source(data[:1000])); !b.Ready() {
		t.Error("the failure was not remembered")
	} else if _, err := b.Size(); err == nil {
		t.Error("a remembered failure converts")
	}
}

// TestCheck fails a job from the file's headers alone when they show it
// cannot convert (cut short), remembers it, and leaves a whole file's job
// to convert.
func TestCheck(t *testing.T) {
	data := readCorpus(t)
	cache, p := testPool(t, 1)
	whole := p.Job(Key("whole"), "test", source(data))
	whole.Check()
	if whole.Ready() {
		t.Error("a whole HEIC's job is done by its check")
	}
	cut := p.Job(Key("cut"), "test", source(data[:len(data)/3]))
	cut.Check()
	if !cut.Ready() {
		t.Fatal("a HEIC cut short passes its check")
	}
	if _, err := cut.Size(); err != errCut {
		t.Errorf("a HEIC cut short: %v, want %v", err, errCut)
	}
	if p.Converted.Load() != 0 {
		t.Error("a check converted")
	}
	again := NewPool(cache, 92, 1, 1<<30)
	defer again.Close()
	if j := again.Job(Key("cut"), "test", source(data[:len(data)/3])); !j.Ready() {
		t.Error("the failure found by the check was not remembered")
	}
}

func TestCacheEviction(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 2500)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if err := c.Put(k, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := c.Lookup("a"); ok {
		t.Error("the oldest file was kept past the limit")
	}
	for _, k := range []string{"b", "c"} {
		if _, _, ok := c.Lookup(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
}

// BenchmarkHEICToJPEG converts the corpus HEIC (24 MP) with the WASM
// decoder, which reads it where libheif cannot.
func BenchmarkHEICToJPEG(b *testing.B) {
	data := readCorpus(b)
	for b.Loop() {
		if _, err := inProcessWASM(bytes.NewReader(data), int64(len(data)), 92); err != nil {
			b.Fatal(err)
		}
	}
}

// twelveMP writes a 12 MP (4032x3024, an iPhone's) HEIC with heif-enc and
// returns its path.
func twelveMP(tb testing.TB) string {
	tb.Helper()
	requireHeifEnc(tb)
	data, err := fixture.HEIC(4032, 3024)
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "12mp.heic")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// requireHeifEnc skips without heif-enc, except under CI, where its
// absence is a failure.
func requireHeifEnc(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("heif-enc"); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("CI=true but heif-enc (libheif-examples) is missing")
		}
		tb.Skip("no heif-enc")
	}
}

// TestLibheifPath converts a file libheif reads (where it is installed):
// no fallback is needed, and the JPEG has the HEIC's size.
func TestLibheifPath(t *testing.T) {
	data, err := os.ReadFile(twelveMP(t))
	if err != nil {
		t.Fatal(err)
	}
	out, err := HEICToJPEG(bytes.NewReader(data), int64(len(data)), 92)
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(out)); err != nil || cfg.Width != 4032 || cfg.Height != 3024 {
		t.Errorf("JPEG %+v, %v", cfg, err)
	}
}

// BenchmarkHEIC12MP converts one 12 MP HEIC three ways, side by side:
// Debian's heif-convert -q 92 (the reference), ours through libheif (when
// it is installed), and ours through the WASM decoder.
func BenchmarkHEIC12MP(b *testing.B) {
	path := twelveMP(b)
	data, _ := os.ReadFile(path)
	out := filepath.Join(b.TempDir(), "out.jpg")
	b.Run("heif-convert", func(b *testing.B) {
		for b.Loop() {
			if o, err := exec.Command("heif-convert", "-q", "92", path, out).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, o)
			}
		}
	})
	for _, wasm := range []bool{false, true} {
		name := map[bool]string{false: "ours-libheif", true: "ours-wasm"}[wasm]
		b.Run(name, func(b *testing.B) {
			if !wasm && heic.Dynamic() != nil {
				b.Skipf("no libheif: %v", heic.Dynamic())
			}
			heic.ForceWasmMode = wasm
			defer func() { heic.ForceWasmMode = false }()
			for b.Loop() {
				if _, err := HEICToJPEG(bytes.NewReader(data), int64(len(data)), 92); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRotation converts a HEIC stored on its side with an irot property
// (as iPhones store portrait photos), through libheif and through the
// WASM decoder: the JPEG is upright. The image's red rises from left to
// right; turned 90 degrees anticlockwise, it falls from top to bottom.
func TestRotation(t *testing.T) {
	requireHeifEnc(t)
	flat, err := fixture.HEIC(256, 128)
	if err != nil {
		t.Fatal(err)
	}
	turned, err := fixture.WithRotation(flat, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, wasm := range []bool{false, true} {
		if !wasm && heic.Dynamic() != nil {
			continue
		}
		heic.ForceWasmMode = wasm
		out, err := HEICToJPEG(bytes.NewReader(turned), int64(len(turned)), 92)
		heic.ForceWasmMode = false
		if err != nil {
			t.Fatalf("wasm %v: %v", wasm, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 128 || b.Dy() != 256 {
			t.Errorf("wasm %v: %v, want 128x256 (turned)", wasm, b)
			continue
		}
		top, _, _, _ := img.At(64, 8).RGBA()
		bottom, _, _, _ := img.At(64, 248).RGBA()
		if top < bottom+0x8000 {
			t.Errorf("wasm %v: red at the top %#x, at the bottom %#x: not turned anticlockwise", wasm, top, bottom)
		}
	}
}

// inProcessWASM is a Pool.Fallback for tests: the WASM decoder, in this
// process (the command runs it in a child process; a test binary may set
// the decoder switch, as nothing else converts at the same time).
func inProcessWASM(r io.ReaderAt, size int64, quality int) ([]byte, error) {
	heic.ForceWasmMode = true
	defer func() { heic.ForceWasmMode = false }()
	return HEICToJPEG(r, size, quality)
}

// A HEIC libheif cannot decode goes to the pool's Fallback, and the
// package never changes gen2brain/heic's decoder switch itself (it is
// the whole process's).
func TestLibheifFailureGoesToFallback(t *testing.T) {
	if heic.Dynamic() != nil {
		t.Skipf("no libheif: %v", heic.Dynamic())
	}
	data := readCorpus(t)
	if _, err := HEICToJPEG(bytes.NewReader(data), int64(len(data)), 92); !errors.Is(err, ErrLibheif) {
		t.Skipf("this libheif reads the iOS 26 photo (%v): nothing falls back", err)
	}
	_, p := testPool(t, 1)
	called := false
	p.Fallback = func(r io.ReaderAt, size int64, quality int) ([]byte, error) {
		called = true
		if heic.ForceWasmMode {
			t.Error("the decoder switch was changed")
		}
		return inProcessWASM(r, size, quality)
	}
	if _, err := p.Job(Key("ios26", "92"), "test", source(data)).Size(); err != nil || !called {
		t.Fatalf("converted: %v; fallback called: %v", err, called)
	}
}
