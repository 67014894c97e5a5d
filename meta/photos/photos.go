// Package photos reads the iOS photo library database (Photos.sqlite): for
// each asset its file, capture time and offset, kind, state and albums.
// Its Core Data schema changes with every iOS release, so tables and
// columns are discovered, never assumed: what a release lacks is left at
// its zero value.
package photos

import (
	"fmt"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Asset is one photo or video of the library.
type Asset struct {
	UUID      string
	Directory string // ZDIRECTORY: "DCIM/100APPLE", sometimes "100APPLE", or "CPLAssets/group42"
	Filename  string // ZFILENAME: the name on the device
	// OriginalFilename is the name the photo had when taken or imported
	// (it names UUID-named iCloud files).
	OriginalFilename string
	// Created is the capture instant; when HasOffset it is in the photo's
	// own offset, so its wall clock is the local time where it was taken.
	Created   time.Time
	HasOffset bool
	Kind      int // 0 photo, 1 video
	Subtype   int // 2 Live Photo, 10 screenshot, 100+ video kinds
	Trashed   bool
	Hidden    bool
	Favorite  bool
	// Visible is false for burst frames that are not picks and other
	// assets the Photos app does not show.
	Visible            bool
	DetectedScreenshot bool
	GenerativeAI       int // 0 none, 1 generated, 2 Clean Up
	Albums             []string

	// The asset's links to its attribute rows, for releases whose
	// attribute tables lack a ZASSET column.
	additionalPK, extendedPK int64
}

// Path returns the asset's path under the camera roll's Media folder
// ("DCIM/100APPLE/IMG_0001.HEIC").
func (a *Asset) Path() string {
	dir := a.Directory
	if !strings.Contains(dir, "/") && strings.HasSuffix(dir, "APPLE") {
		dir = "DCIM/" + dir
	}
	return strings.TrimPrefix(dir+"/"+a.Filename, "/")
}

// Screenshot reports whether the library calls the asset a screenshot.
func (a *Asset) Screenshot() bool { return a.Subtype == 10 || a.DetectedScreenshot }

// Video reports whether the asset is a video.
func (a *Asset) Video() bool { return a.Kind == 1 }

// Library is what was read.
type Library struct {
	Assets []Asset
	// Problems are parts of the database that could not be used.
	Problems []string
}

// epoch2001 is Core Data's time origin: 2001-01-01 UTC.
const epoch2001 = 978307200

// Album kinds read (ZGENERICALBUM.ZKIND).
const (
	userAlbum   = 2
	sharedAlbum = 1505
)

// Read reads the assets and albums of an open Photos.sqlite.
func Read(db sqlitedb.Reader) (*Library, error) {
	r := &reader{db: db, lib: &Library{}}
	assetTable := ""
	for _, t := range []string{"ZASSET", "ZGENERICASSET"} {
		cols, err := r.db.Columns(t)
		if err != nil {
			return nil, fmt.Errorf("photos: %w", err)
		}
		if len(cols) > 0 {
			assetTable = t
			break
		}
	}
	if assetTable == "" {
		return nil, fmt.Errorf("photos: no ZASSET or ZGENERICASSET table: not a Photos.sqlite this reader knows")
	}
	byPK, err := r.assets(assetTable)
	if err != nil {
		return nil, err
	}
	r.additional(byPK)
	r.extended(byPK)
	r.albums(byPK)
	pks := make([]int64, 0, len(byPK))
	for pk := range byPK {
		pks = append(pks, pk)
	}
	slices.Sort(pks)
	r.lib.Assets = make([]Asset, 0, len(pks))
	for _, pk := range pks {
		r.lib.Assets = append(r.lib.Assets, *byPK[pk])
	}
	return r.lib, nil
}

type reader struct {
	db  sqlitedb.Reader
	lib *Library
}

func (r *reader) problem(format string, args ...any) {
	r.lib.Problems = append(r.lib.Problems, fmt.Sprintf("Photos.sqlite: "+format, args...))
}

func (r *reader) assets(table string) (map[int64]*Asset, error) {
	byPK := map[int64]*Asset{}
	want := []string{"Z_PK", "ZUUID", "ZDIRECTORY", "ZFILENAME", "ZDATECREATED", "ZKIND", "ZKINDSUBTYPE",
		"ZTRASHEDSTATE", "ZHIDDEN", "ZFAVORITE", "ZVISIBILITYSTATE", "ZISDETECTEDSCREENSHOT",
		"ZADDITIONALATTRIBUTES", "ZEXTENDEDATTRIBUTES"}
	err := r.db.SelectExisting(table, want, func(v []any) error {
		a := &Asset{
			UUID: text(v[1]), Directory: text(v[2]), Filename: text(v[3]),
			Kind: int(integer(v[5])), Subtype: int(integer(v[6])),
			Trashed: integer(v[7]) != 0, Hidden: integer(v[8]) != 0, Favorite: integer(v[9]) != 0,
			Visible: integer(v[10]) == 0, DetectedScreenshot: integer(v[11]) != 0,
			additionalPK: integer(v[12]), extendedPK: integer(v[13]),
		}
		if secs, ok := float(v[4]); ok {
			a.Created = time.Unix(epoch2001, 0).Add(time.Duration(secs * float64(time.Second))).UTC()
		}
		if a.Filename == "" {
			return nil
		}
		byPK[integer(v[0])] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("photos: reading %s: %w", table, err)
	}
	return byPK, nil
}

// attributes calls fn with the asset each row of an attribute table
// belongs to: by the row's ZASSET column, else by the asset's link to the
// row's Z_PK. A missing table is not a problem (older releases).
func (r *reader) attributes(table string, want []string, byPK map[int64]*Asset, link func(*Asset) int64, fn func(*Asset, []any)) {
	byLink := map[int64]*Asset{}
	for _, a := range byPK {
		if l := link(a); l != 0 {
			byLink[l] = a
		}
	}
	err := r.db.SelectExisting(table, append([]string{"Z_PK", "ZASSET"}, want...), func(v []any) error {
		a := byPK[integer(v[1])]
		if v[1] == nil {
			a = byLink[integer(v[0])]
		}
		if a != nil {
			fn(a, v[2:])
		}
		return nil
	})
	if err != nil && err != sqlitedb.ErrNoTable {
		r.problem("%s unreadable: %v", table, err)
	}
}

// additional joins ZADDITIONALASSETATTRIBUTES: original name and the time
// zone offset.
func (r *reader) additional(byPK map[int64]*Asset) {
	r.attributes("ZADDITIONALASSETATTRIBUTES", []string{"ZORIGINALFILENAME", "ZTIMEZONEOFFSET"}, byPK,
		func(a *Asset) int64 { return a.additionalPK },
		func(a *Asset, v []any) {
			a.OriginalFilename = text(v[0])
			if off, ok := v[1].(int64); ok && off > -16*3600 && off < 16*3600 && !a.Created.IsZero() {
				a.Created = a.Created.In(time.FixedZone("", int(off)))
				a.HasOffset = true
			}
		})
}

// extended joins ZEXTENDEDATTRIBUTES (iOS 18+: generative-AI type).
func (r *reader) extended(byPK map[int64]*Asset) {
	r.attributes("ZEXTENDEDATTRIBUTES", []string{"ZGENERATIVEAITYPE"}, byPK,
		func(a *Asset) int64 { return a.extendedPK },
		func(a *Asset, v []any) { a.GenerativeAI = int(integer(v[0])) })
}

// albums reads user and shared albums that are not trashed, and adds their
// titles to their assets.
func (r *reader) albums(byPK map[int64]*Asset) {
	titles := map[int64]string{}
	err := r.db.SelectExisting("ZGENERICALBUM", []string{"Z_PK", "ZTITLE", "ZKIND", "ZTRASHEDSTATE"}, func(v []any) error {
		kind := integer(v[2])
		if (kind == userAlbum || kind == sharedAlbum) && integer(v[3]) == 0 && text(v[1]) != "" {
			titles[integer(v[0])] = text(v[1])
		}
		return nil
	})
	if err != nil {
		if err != sqlitedb.ErrNoTable {
			r.problem("albums unreadable: %v", err)
		}
		return
	}
	if len(titles) == 0 {
		return
	}
	table, albumCol, assetCol, ok := r.joinTable()
	if !ok {
		r.problem("no album-to-asset table found: albums not shown")
		return
	}
	err = r.db.SelectExisting(table, []string{albumCol, assetCol}, func(v []any) error {
		title, ok := titles[integer(v[0])]
		if a := byPK[integer(v[1])]; ok && a != nil && !slices.Contains(a.Albums, title) {
			a.Albums = append(a.Albums, title)
		}
		return nil
	})
	if err != nil {
		r.problem("album members unreadable: %v", err)
	}
}

var (
	joinTableName = regexp.MustCompile(`^Z_[0-9]+ASSETS$`)
	albumsColumn  = regexp.MustCompile(`^Z_[0-9]+ALBUMS$`)
	assetsColumn  = regexp.MustCompile(`^Z_[0-9]+ASSETS$`)
)

// joinTable finds the album<->asset table, renamed in almost every iOS
// release: Z_<ent(Album)>ASSETS(Z_<ent(Album)>ALBUMS, Z_<ent(Asset)>ASSETS)
// from Z_PRIMARYKEY, else the one table of that shape.
func (r *reader) joinTable() (table, albumCol, assetCol string, ok bool) {
	ents := map[string]int64{}
	r.db.SelectExisting("Z_PRIMARYKEY", []string{"Z_ENT", "Z_NAME"}, func(v []any) error {
		ents[text(v[1])] = integer(v[0])
		return nil
	})
	album, ok1 := ents["Album"]
	asset, ok2 := ents["Asset"]
	if ok1 && ok2 {
		table = fmt.Sprintf("Z_%dASSETS", album)
		albumCol, assetCol = fmt.Sprintf("Z_%dALBUMS", album), fmt.Sprintf("Z_%dASSETS", asset)
		if cols, _ := r.db.Columns(table); cols[albumCol] && cols[assetCol] {
			return table, albumCol, assetCol, true
		}
	}
	all, err := r.db.Tables()
	if err != nil {
		return "", "", "", false
	}
	var tables []string
	for _, name := range all {
		if joinTableName.MatchString(strings.ToUpper(name)) {
			tables = append(tables, name)
		}
	}
	for _, t := range tables {
		cols, _ := r.db.Columns(t)
		var albums, assets []string
		for c := range cols {
			if albumsColumn.MatchString(c) {
				albums = append(albums, c)
			}
			if assetsColumn.MatchString(c) {
				assets = append(assets, c)
			}
		}
		if len(albums) == 1 && len(assets) == 1 {
			return t, albums[0], assets[0], true
		}
	}
	return "", "", "", false
}

func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

func integer(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}
