package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

const corpus = "../../shared/corpus"

// photoViews is where each photo of fixture.PhotoBackup belongs, worked out
// from the dates and kinds the fixture documents.
var photoViews = []string{
	"by-album/Kids_Family/IMG_0003.HEIC", // "Kids/Family", sanitised
	"by-album/Kids_Family/IMG_0003.MOV",  // the Live Photo's movie goes with its still
	"by-album/Trip/IMG_0003.HEIC",
	"by-album/Trip/IMG_0003.MOV",
	"by-date/2019_07/IMG_4242.JPG",     // iCloud original under its original name
	"by-date/2022_02/IMG_9999.jpeg",    // Messages photo
	"by-date/2023_12/IMG_0002 (2).JPG", // 105APPLE's, after 100APPLE's
	"by-date/2023_12/IMG_0002.JPG",     // December 31st locally, January 1st in UTC
	"by-date/2023_12/IMG_E0002.jpg",    // the edit, beside its original
	"by-date/2024_04/IMG_0003.HEIC",    // library: 00:30 on April 1st at +02:00
	"by-date/2024_04/IMG_0003.MOV",     // its own mvhd says March 31st (UTC)
	"by-date/2024_05/IMG_0004.PNG",     // screenshot
	"by-date/2025_06/IMG_0005.PNG",     // no date inside: birth time
	"by-date/2025_08/IMG_0006.MOV",     // creationdate's local day, not mvhd's
	"by-date/2026_02/IMG_0001.HEIC",    // the real HEIC's EXIF
	"category/generated/IMG_0005.PNG",  // C2PA + IPTC trainedAlgorithmicMedia
	"category/photos/IMG_0001.HEIC",
	"category/photos/IMG_0002 (2).JPG",
	"category/photos/IMG_0002.JPG",
	"category/photos/IMG_0003.HEIC",
	"category/photos/IMG_0003.MOV",
	"category/photos/IMG_4242.JPG",
	"category/photos/IMG_9999.jpeg",
	"category/photos/IMG_E0002.jpg",
	"category/screenshots/IMG_0004.PNG",
	"category/videos/IMG_0006.MOV",
	"recently-deleted/IMG_0007.JPG", // trashed in the library
}

func TestPhotoViews(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("%s not found: the shared corpus is not beside this clone", corpus)
	}
	b, err := fixture.PhotoBackup(corpus)
	src := fixture.WriteTemp(t, b, err)
	before := treeSum(t, src)
	m := startMount(t, src)

	var got []string
	for _, p := range listTree(t, m.dir) {
		if strings.Count(p, "/") == 2 && !strings.HasPrefix(p, "files/") && !strings.HasPrefix(p, "info/") || strings.HasPrefix(p, "recently-deleted/") {
			got = append(got, p)
		}
	}
	if !slices.Equal(got, photoViews) {
		t.Errorf("photo views:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(photoViews, "\n"))
	}

	// One file, one inode, one name per view.
	orig := m.path("files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0003.HEIC")
	var st0 syscall.Stat_t
	if err := syscall.Stat(orig, &st0); err != nil {
		t.Fatal(err)
	}
	if st0.Nlink != 5 {
		t.Errorf("IMG_0003.HEIC has %d links, want 5 (files, by-date, category, two albums)", st0.Nlink)
	}
	for _, v := range []string{"by-date/2024_04/IMG_0003.HEIC", "category/photos/IMG_0003.HEIC", "by-album/Trip/IMG_0003.HEIC"} {
		var st syscall.Stat_t
		if err := syscall.Stat(m.path(v), &st); err != nil || st.Ino != st0.Ino || st.Size != st0.Size || st.Mtim != st0.Mtim {
			t.Errorf("%s: %v ino %d size %d, want the original's %d %d", v, err, st.Ino, st.Size, st0.Ino, st0.Size)
		}
	}
	run(t, "cmp", m.path("by-date/2026_02/IMG_0001.HEIC"), filepath.Join(corpus, "iphone15pro-ios26.heic"))

	// Real clients read the views.
	out := run(t, "exiftool", "-s", "-s", "-DateTimeOriginal", "-OffsetTimeOriginal", m.path("by-date/2026_02/IMG_0001.HEIC"))
	if !strings.Contains(out, "DateTimeOriginal: 2026:02:19 14:22:37") || !strings.Contains(out, "-08:00") {
		t.Errorf("exiftool through the mount:\n%s", out)
	}
	dst := t.TempDir()
	run(t, "rsync", "-a", m.path("by-date")+"/", dst+"/")
	run(t, "cmp", filepath.Join(dst, "2025_08", "IMG_0006.MOV"), filepath.Join(corpus, "c2pa-c.mov"))

	// info --json says where each date came from.
	js, code := iosphotofs(t, "info", "--json", src)
	if code != 0 {
		t.Fatalf("info --json: exit %d\n%s", code, js)
	}
	var info struct {
		Photos struct {
			Count  int `json:"count"`
			Assets []struct{ Path, Taken, From string }
		} `json:"photos"`
	}
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{
		"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0003.HEIC": {"2024-04-01T00:30:00+02:00", "Photos.sqlite ZDATECREATED"},
		"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.HEIC": {"2026-02-19T14:22:37-08:00", "EXIF DateTimeOriginal"},
		"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0006.MOV":  {"2025-08-22T21:39:57-07:00", "QuickTime creationdate"},
	}
	for _, a := range info.Photos.Assets {
		if w, ok := want[a.Path]; ok {
			if a.Taken != w[0] || a.From != w[1] {
				t.Errorf("%s: %s from %q, want %s from %q", a.Path, a.Taken, a.From, w[0], w[1])
			}
			delete(want, a.Path)
		}
	}
	if len(want) > 0 || info.Photos.Count != 12 {
		t.Errorf("info --json: %d photos; not reported: %v", info.Photos.Count, want)
	}

	m.cmd.Process.Signal(syscall.SIGTERM)
	<-m.done
	if treeSum(t, src) != before {
		t.Error("the source changed")
	}
}

// A plain folder of photos: the same views (no files/), dates from the
// headers, and --names date with +1 s for equal times.
func TestFolderSource(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("%s not found: the shared corpus is not beside this clone", corpus)
	}
	src := t.TempDir()
	nye := fixture.Photo{Taken: time.Date(2023, 12, 31, 23, 59, 58, 0, time.UTC), Offset: "-05:00"}
	a, _ := nye.JPEG()
	live, _ := fixture.Photo{Taken: time.Date(2024, 4, 1, 0, 30, 0, 0, time.UTC), Offset: "+02:00"}.JPEG()
	files := map[string][]byte{
		"a.jpg":        a,
		"sub/b.jpg":    a, // the same second as a.jpg
		"IMG_0010.JPG": live,
		"IMG_0010.MOV": fixture.QuickTime(time.Date(2024, 3, 31, 22, 30, 2, 0, time.UTC), "", ""),
		"notes.txt":    []byte("not a photo\n"),
	}
	for name, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755)
		if err := os.WriteFile(filepath.Join(src, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"iphone15pro-ios26.heic", "c2pa-c.mov"} {
		b, err := os.ReadFile(filepath.Join(corpus, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(src, name), b, 0o644)
	}
	before := treeSum(t, src)
	m := startMount(t, src, "--names", "date")
	want := []string{
		".",
		"by-date",
		"by-date/2023_12",
		"by-date/2023_12/2023.12.31.23.59.58.jpg",
		"by-date/2023_12/2023.12.31.23.59.59.jpg",
		"by-date/2024_04",
		"by-date/2024_04/2024.04.01.00.30.00.jpg",
		"by-date/2024_04/2024.04.01.00.30.00.mov", // the Live Photo's movie keeps its still's name
		"by-date/2025_08",
		"by-date/2025_08/2025.08.22.21.39.57.mov",
		"by-date/2026_02",
		"by-date/2026_02/2026.02.19.14.22.37.heic",
		"category",
		"category/photos",
		"category/photos/2023.12.31.23.59.58.jpg",
		"category/photos/2023.12.31.23.59.59.jpg",
		"category/photos/2024.04.01.00.30.00.jpg",
		"category/photos/2024.04.01.00.30.00.mov",
		"category/photos/2026.02.19.14.22.37.heic",
		"category/videos",
		"category/videos/2025.08.22.21.39.57.mov",
		"info",
		"info/problems.txt",
		"info/summary.txt",
	}
	if got := listTree(t, m.dir); !slices.Equal(got, want) {
		t.Errorf("folder views:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	run(t, "cmp", m.path("by-date/2023_12/2023.12.31.23.59.59.jpg"), filepath.Join(src, "sub/b.jpg"))
	m.cmd.Process.Signal(syscall.SIGTERM)
	<-m.done
	if treeSum(t, src) != before {
		t.Error("the source changed")
	}
}

// Headers are read once: a second run takes them from the cache (kept in
// --cache-dir, never in the source), and a changed file is read again.
func TestHeaderCache(t *testing.T) {
	src, cache := t.TempDir(), t.TempDir()
	for i, day := range []int{1, 2, 3} {
		b, err := fixture.Photo{Taken: time.Date(2022, 3, day, 12, 0, 0, 0, time.UTC), Offset: "+01:00"}.JPEG()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(src, fmt.Sprintf("p%d.jpg", i)), b, 0o644)
	}
	before := treeSum(t, src)
	info := func(want string) {
		t.Helper()
		out, code := iosphotofs(t, "info", "--cache-dir", cache, src)
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("info: exit %d, want %q in:\n%s", code, want, out)
		}
	}
	info("Media headers:     3 read, 0 from the cache")
	info("Media headers:     0 read, 3 from the cache")
	if treeSum(t, src) != before {
		t.Error("the cache was written into the source")
	}
	if files, _ := filepath.Glob(filepath.Join(cache, "headers-*")); len(files) != 1 {
		t.Errorf("cache folder holds %v", files)
	}
	moved, _ := fixture.Photo{Taken: time.Date(2021, 7, 1, 12, 0, 0, 0, time.UTC), Offset: "+01:00"}.JPEG()
	os.WriteFile(filepath.Join(src, "p0.jpg"), append(moved, 0), 0o644) // a new size: read again
	info("Media headers:     1 read, 2 from the cache")
	m := startMount(t, src, "--cache-dir", cache)
	if _, err := os.Stat(m.path("by-date/2021_07/p0.jpg")); err != nil {
		t.Errorf("the changed photo is not in its new month: %v", err)
	}
}
