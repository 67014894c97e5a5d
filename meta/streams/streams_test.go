package streams_test

import (
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"github.com/iosphotofs/iosphotofs/meta/streams"
)

func TestDetectAndReadModels(t *testing.T) {
	for _, layout := range []int{fixture.ILifeStore, fixture.CloudPhotosStore} {
		s, err := fixture.Streams(layout)
		dir := fixture.WriteTemp(t, s, err)
		want := map[int]streams.Layout{fixture.ILifeStore: streams.ILife, fixture.CloudPhotosStore: streams.CloudPhotos}[layout]
		l := streams.Detect(dir)
		if l != want {
			t.Fatalf("Detect = %v, want %v", l, want)
		}
		models := streams.Models(dir, l)
		if len(models) != 2 {
			t.Fatalf("models %q: want one per Apple ID", models)
		}
		db, done, err := sqlitedb.OpenFile(models[0])
		if err != nil {
			t.Fatal(err)
		}
		m, err := streams.ReadModel(db)
		done()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Albums) != 2 || m.Albums[1].Name != "Ana's Trip" || len(m.Assets) != 6 {
			t.Fatalf("model: %d albums %+v, %d assets", len(m.Albums), m.Albums, len(m.Assets))
		}
		var a streams.Asset
		for _, x := range m.Assets {
			if x.GUID == "F0000004-0000-4000-8000-000000000004" {
				a = x
			}
		}
		// photoDate counts from 2001-01-01 UTC (978307200 s after 1970).
		if !a.PhotoDate.Equal(time.Date(2019, 9, 9, 10, 0, 0, 0, time.UTC)) || a.FileName != "IMG_0004.JPG" || a.FullName != "Ana Lima" || a.AlbumGUID != m.Albums[0].GUID {
			t.Errorf("asset %+v", a)
		}
	}
	if l := streams.Detect(t.TempDir()); l != streams.NotStore {
		t.Errorf("an empty folder is %v", l)
	}
}

func TestIsThumbnail(t *testing.T) {
	for name, want := range map[string]bool{
		"IMG_0001.JPG": false, "IMG_0003.5.jpg": true, "thumbnail.JPG": true, "IMG_0001_Thumbnail.jpg": true, "IMG_0005.MOV": false,
	} {
		if got := streams.IsThumbnail(name); got != want {
			t.Errorf("IsThumbnail(%q) = %v", name, got)
		}
	}
}
