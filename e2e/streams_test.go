package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// streamViews is where fixture.Streams' photos belong, from its comments.
var streamViews = []string{
	"by-album/Ana's Trip/IMG_0100.JPG",
	"by-album/Family (2)/IMG_0200.JPG", // the second Apple ID's "Family"
	"by-album/Family/IMG_0001.JPG",
	"by-album/Family/IMG_0002.JPG", // a Live Photo: image and movie
	"by-album/Family/IMG_0002.MOV",
	"by-album/Family/IMG_0003.MOV", // its poster frame and thumbnail are not photos
	"by-album/Family/IMG_0004.JPG",
	"by-date/2019_09/IMG_0004.JPG", // no EXIF: the stream's photoDate
	"by-date/2021_02/IMG_0200.JPG",
	"by-date/2022_12/IMG_0100.JPG",
	"by-date/2023_06/IMG_0001.JPG",
	"by-date/2023_06/IMG_0002.JPG",
	"by-date/2023_06/IMG_0002.MOV",
	"by-date/2023_07/IMG_0003.MOV",
	"category/photos/IMG_0001.JPG",
	"category/photos/IMG_0002.JPG",
	"category/photos/IMG_0002.MOV",
	"category/photos/IMG_0004.JPG",
	"category/photos/IMG_0100.JPG",
	"category/photos/IMG_0200.JPG",
	"category/videos/IMG_0003.MOV",
}

func writeStreams(t *testing.T, layout int) (string, *fixture.StreamStore) {
	t.Helper()
	s, err := fixture.Streams(layout)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "store")
	if err := s.Write(dir); err != nil {
		t.Fatal(err)
	}
	return dir, s
}

func TestStreamStores(t *testing.T) {
	for name, layout := range map[string]int{"iLife": fixture.ILifeStore, "cloudphotosd": fixture.CloudPhotosStore} {
		t.Run(name, func(t *testing.T) {
			src, _ := writeStreams(t, layout)
			before := treeSum(t, src)
			m := startMount(t, src)
			want := slices.Clone(streamViews)
			if layout == fixture.ILifeStore {
				want = append(want, "by-date/2020_01/IMG_9001.JPG", "category/photos/IMG_9001.JPG", "my-photo-stream/IMG_9001.JPG")
			}
			slices.Sort(want)
			var got []string
			for _, p := range listTree(t, m.dir) {
				if fi, err := os.Stat(m.path(p)); err == nil && fi.Mode().IsRegular() && !strings.HasPrefix(p, "info/") {
					got = append(got, p)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("the mount shows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			problems := run(t, "cat", m.path("info/problems.txt"))
			if !strings.Contains(problems, "not on disk: Family/IMG_0005.JPG") {
				t.Errorf("problems.txt lacks the asset with no file:\n%s", problems)
			}
			// rsync of a stream twice: the second run copies nothing.
			out := t.TempDir()
			run(t, "rsync", "-a", m.path("by-album/Family")+"/", out+"/")
			if again := run(t, "rsync", "-a", "--itemize-changes", m.path("by-album/Family")+"/", out+"/"); strings.TrimSpace(again) != "" {
				t.Errorf("a second rsync copied:\n%s", again)
			}
			if after := treeSum(t, src); after != before {
				t.Error("the source changed")
			}
		})
	}
}
