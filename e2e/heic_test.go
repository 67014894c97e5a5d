package e2e

import (
	"bytes"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// heicBackup is fixture.PhotoBackup with one more HEIC whose image data is
// cut short: its headers (and EXIF date) read, its pixels do not decode.
func heicBackup(t *testing.T) string {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("%s not found: the shared corpus is not beside this clone", corpus)
	}
	b, err := fixture.PhotoBackup(corpus)
	if err != nil {
		t.Fatal(err)
	}
	heic, err := os.ReadFile(filepath.Join(corpus, "iphone15pro-ios26.heic"))
	if err != nil {
		t.Fatal(err)
	}
	b.Entries = append(b.Entries, fixture.Entry{Domain: "CameraRollDomain", Path: "Media/DCIM/100APPLE/IMG_0008.HEIC",
		Flags: fixture.FlagFile, Data: heic[:len(heic)/3], MTime: fixture.T1, CTime: fixture.T1})
	return fixture.WriteTemp(t, b, nil)
}

// TestHEICTwins mounts with --heic-jpeg alongside, then instead: every
// HEIC in the photo views has a JPEG twin that decodes, keeps the EXIF and
// colour profile, is exactly as long as stat says, copies whole with
// rsync, and is made once; a HEIC that does not decode gets none.
func TestHEICTwins(t *testing.T) {
	src := heicBackup(t)
	before := treeSum(t, src)
	cache := t.TempDir()
	m := startMount(t, src, "--heic-jpeg", "alongside", "--cache-dir", cache)

	twins := []string{
		"by-date/2026_02/IMG_0001.JPG", "category/photos/IMG_0001.JPG",
		"by-date/2024_04/IMG_0003.JPG", "category/photos/IMG_0003.JPG",
		"by-album/Trip/IMG_0003.JPG", "by-album/Kids_Family/IMG_0003.JPG",
	}
	for _, p := range append([]string{"by-date/2026_02/IMG_0001.HEIC", "by-album/Trip/IMG_0003.HEIC"}, twins...) {
		if _, err := os.Stat(m.path(p)); err != nil {
			t.Errorf("alongside: %v", err)
		}
	}
	// Eight readers at once, over names of the two twins.
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() {
			out, err := exec.Command("cat", m.path(twins[i%len(twins)])).Output()
			if err != nil {
				t.Errorf("cat: %v", err)
			}
			got[i] = out
		})
	}
	wg.Wait()
	for i, data := range got {
		p := m.path(twins[i%len(twins)])
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != int64(len(data)) {
			t.Fatalf("%s: stat %v, read %d bytes", p, err, len(data))
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width != 5712 || cfg.Height != 4284 {
			t.Errorf("%s: %+v, %v", p, cfg, err)
		}
	}
	// The metadata, by exiftool (the HEIC's first ICC profile is its
	// primary image's; the second, its gain map's).
	tags := func(path string) map[string]any {
		tags, err := fixture.ExifTags(path)
		if err != nil {
			t.Fatal(err)
		}
		return tags
	}
	heic, twin := tags(m.path("by-date/2026_02/IMG_0001.HEIC")), tags(m.path(twins[0]))
	for _, f := range []string{"ExifIFD:DateTimeOriginal", "ExifIFD:OffsetTimeOriginal", "GPS:GPSLatitude", "GPS:GPSLongitude", "IFD0:Make", "IFD0:Model", "ICC_Profile:ProfileDescription"} {
		if heic[f] == nil || twin[f] != heic[f] {
			t.Errorf("%s: twin %v, HEIC %v", f, twin[f], heic[f])
		}
	}
	if twin["IFD0:Orientation"] != float64(1) {
		t.Errorf("twin Orientation %v", twin["IFD0:Orientation"])
	}
	// The HEIC cut short has no twin, not even a name that vanishes when
	// its conversion fails: rsync copies the rest whole, and quietly.
	listing := run(t, "ls", m.path("by-date/2026_02"))
	if strings.Contains(listing, "IMG_0008.JPG") || !strings.Contains(listing, "IMG_0008.HEIC") {
		t.Errorf("the broken HEIC's folder lists:\n%s", listing)
	}
	out := t.TempDir()
	if msg := run(t, "rsync", "-a", m.path("by-date")+"/", out+"/"); msg != "" {
		t.Errorf("rsync printed %q", msg)
	}
	run(t, "cmp", filepath.Join(out, "2026_02/IMG_0001.JPG"), m.path(twins[0]))
	if problems := run(t, "cat", m.path("info/problems.txt")); !strings.Contains(problems, "IMG_0008.HEIC: the file is cut short") {
		t.Errorf("problems.txt does not say the broken HEIC is cut short:\n%s", problems)
	}
	m.stop(t)
	if !strings.Contains(m.log.String(), "made 2 JPEG copies") {
		t.Errorf("the first mount does not say it made 2 copies:\n%s", m.log)
	}

	// A second mount converts nothing, and knows the broken HEIC.
	m = startMount(t, src, "--heic-jpeg", "instead", "--cache-dir", cache)
	for p, want := range map[string]bool{
		"by-date/2026_02/IMG_0001.JPG": true, "by-date/2026_02/IMG_0001.HEIC": false, // instead
		"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.HEIC": true,                                         // files/ keeps the original
		"by-date/2026_02/IMG_0008.JPG":                             false, "by-date/2026_02/IMG_0008.HEIC": true, // no twin: the original stays
	} {
		if _, err := os.Stat(m.path(p)); (err == nil) != want {
			t.Errorf("instead: %s: %v", p, err)
		}
	}
	problems := run(t, "cat", m.path("info/problems.txt"))
	if !strings.Contains(problems, "no JPEG for") || !strings.Contains(problems, "IMG_0008.HEIC") {
		t.Errorf("problems.txt does not name the broken HEIC:\n%s", problems)
	}
	run(t, "cmp", filepath.Join(out, "2026_02/IMG_0001.JPG"), m.path("by-date/2026_02/IMG_0001.JPG"))
	m.stop(t)
	if strings.Contains(m.log.String(), "JPEG copies of HEIC") {
		t.Errorf("the second mount converted again:\n%s", m.log)
	}
	if after := treeSum(t, src); after != before {
		t.Error("the source changed")
	}
}
