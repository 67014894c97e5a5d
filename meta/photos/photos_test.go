package photos_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/photos"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
)

func library() []fixture.LibraryAsset {
	return []fixture.LibraryAsset{
		// 22:30 UTC on March 31st is 00:30 on April 1st in Berlin (+02:00).
		{Dir: "DCIM/100APPLE", File: "IMG_0001.HEIC", Original: "IMG_0001.HEIC", UUID: "U1",
			Created: time.Date(2024, 3, 31, 22, 30, 0, 0, time.UTC), Offset: 7200, Subtype: 2, Albums: []string{"Kids/Family", "Trip"}},
		{Dir: "CPLAssets/group7", File: "6F1C2D1E-AAAA-4BBB-8CCC-000000000002.JPG", Original: "IMG_4242.JPG", UUID: "U2",
			Created: time.Date(2019, 7, 4, 12, 0, 0, 0, time.UTC), Offset: -14400, Albums: []string{"Trip", "Old"}},
		{Dir: "DCIM/100APPLE", File: "IMG_0003.PNG", UUID: "U3", Created: time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC),
			Subtype: 10, DetectedScreenshot: true},
		{Dir: "DCIM/100APPLE", File: "IMG_0004.MOV", UUID: "U4", Created: time.Date(2024, 5, 2, 9, 0, 0, 0, time.UTC), Kind: 1, Subtype: 100, Trashed: true},
		{Dir: "100APPLE", File: "IMG_0005.JPG", UUID: "U5", Created: time.Date(2024, 5, 3, 9, 0, 0, 0, time.UTC), Hidden: true, Visibility: 2},
		{Dir: "DCIM/101APPLE", File: "IMG_0006.PNG", UUID: "U6", Created: time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC), GenerativeAI: 1},
	}
}

func TestSchemaGenerations(t *testing.T) {
	for _, ios := range []int{13, 16, 18} {
		t.Run(map[int]string{13: "iOS13", 16: "iOS16", 18: "iOS18"}[ios], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Photos.sqlite")
			want := library()
			if err := (fixture.PhotosDB{IOS: ios, Assets: want, TrashedAlbums: []string{"Old"}, Folders: []string{"Trip"}}).Write(path); err != nil {
				t.Fatal(err)
			}
			lib, err := readPath(t, path)
			if err != nil {
				t.Fatal(err)
			}
			if len(lib.Problems) > 0 {
				t.Errorf("problems: %v", lib.Problems)
			}
			if len(lib.Assets) != len(want) {
				t.Fatalf("%d assets, want %d", len(lib.Assets), len(want))
			}
			for i, a := range lib.Assets {
				w := want[i]
				if a.Filename != w.File || a.OriginalFilename != w.Original || a.UUID != w.UUID || !a.Created.Equal(w.Created) ||
					!a.HasOffset || a.Kind != w.Kind || a.Subtype != w.Subtype || a.Trashed != w.Trashed || a.Hidden != w.Hidden ||
					a.Visible != (w.Visibility == 0) {
					t.Errorf("asset %d = %+v, want %+v", i, a, w)
				}
				if _, off := a.Created.Zone(); off != w.Offset {
					t.Errorf("asset %d: offset %d, want %d", i, off, w.Offset)
				}
				// "Old" is in the trash and "Trip" exists twice: as an
				// album and as a folder of the same name (ZKIND 4000).
				var albums []string
				for _, al := range w.Albums {
					if al != "Old" {
						albums = append(albums, al)
					}
				}
				if !slices.Equal(a.Albums, albums) {
					t.Errorf("asset %d albums %q, want %q", i, a.Albums, albums)
				}
			}
			if got := lib.Assets[0].Created; got.Month() != time.April || got.Day() != 1 {
				t.Errorf("local capture date %v: want April 1st", got)
			}
			if p := lib.Assets[4].Path(); p != "DCIM/100APPLE/IMG_0005.JPG" {
				t.Errorf("a bare 100APPLE directory gives %q", p)
			}
			if p := lib.Assets[1].Path(); !strings.HasPrefix(p, "CPLAssets/group7/") {
				t.Errorf("CPL path %q", p)
			}
			if !lib.Assets[2].Screenshot() || lib.Assets[0].Screenshot() || !lib.Assets[3].Video() {
				t.Error("kinds: screenshot / video not recognised")
			}
			if ai := lib.Assets[5].GenerativeAI; (ios >= 18) != (ai == 1) {
				t.Errorf("iOS %d: generative AI type %d", ios, ai)
			}
		})
	}
}

func TestNotAPhotosDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sms.db")
	b, err := fixture.SMSDatabase(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(path, b); err != nil {
		t.Fatal(err)
	}
	if _, err := readPath(t, path); err == nil || !strings.Contains(err.Error(), "ZASSET") {
		t.Errorf("err = %v", err)
	}
}

// readPath opens a database file the way the index does (its pages, in
// place) and reads it; the same read through SQLite must agree.
func readPath(t *testing.T, path string) (*photos.Library, error) {
	t.Helper()
	r, done, err := sqlitedb.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	lib, err := photos.Read(r)
	db, cleanup, serr := sqlitedb.Open(path)
	if serr != nil {
		t.Fatal(serr)
	}
	defer cleanup()
	defer db.Close()
	viaSQL, sqlErr := photos.Read(sqlitedb.SQL{DB: db})
	if (err == nil) != (sqlErr == nil) || !reflect.DeepEqual(lib, viaSQL) {
		t.Errorf("in place: %+v, %v\nthrough SQLite: %+v, %v", lib, err, viaSQL, sqlErr)
	}
	return lib, err
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

// FuzzRead opens arbitrary bytes as a Photos.sqlite: errors, never a panic.
func FuzzRead(f *testing.F) {
	b, err := fixture.PhotosDB{IOS: 16, Assets: library()}.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := sqlitedb.OpenPages(bytes.NewReader(data), int64(len(data)), sqlitedb.Beside{})
		if err != nil {
			return
		}
		photos.Read(r)
	})
}

// BenchmarkRead reads a 50,000-asset iOS 18 library with albums, in place
// from its pages (what the index does) and, side by side, through SQLite
// (a private copy made first, as the index did before).
func BenchmarkRead(b *testing.B) {
	var assets []fixture.LibraryAsset
	start := time.Date(2022, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 50000 {
		a := fixture.LibraryAsset{Dir: fmt.Sprintf("DCIM/%dAPPLE", 100+i/1000), File: fmt.Sprintf("IMG_%04d.HEIC", i%1000),
			UUID: fmt.Sprintf("U%07d", i), Created: start.Add(time.Duration(i) * time.Hour), Offset: 3600}
		if i%50 == 0 {
			a.Albums = []string{fmt.Sprintf("Album %d", i/5000)}
		}
		assets = append(assets, a)
	}
	path := filepath.Join(b.TempDir(), "Photos.sqlite")
	if err := (fixture.PhotosDB{IOS: 18, Assets: assets}).Write(path); err != nil {
		b.Fatal(err)
	}
	b.Run("in-place", func(b *testing.B) {
		for b.Loop() {
			r, done, err := sqlitedb.OpenFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if lib, err := photos.Read(r); err != nil || len(lib.Assets) != 50000 {
				b.Fatal(err)
			}
			done()
		}
	})
	b.Run("sqlite-copy", func(b *testing.B) {
		for b.Loop() {
			db, cleanup, err := sqlitedb.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			if lib, err := photos.Read(sqlitedb.SQL{DB: db}); err != nil || len(lib.Assets) != 50000 {
				b.Fatal(err)
			}
			db.Close()
			cleanup()
		}
	})
}
