// Package streams reads a Mac's Photo Stream stores (FORMATS.md 3): the
// iPhoto-era iLifeAssetManagement folder and the Photos-era cloudphotosd
// shared-streams folder. Their layouts tell them apart; their databases
// (Model.sqlite, not Core Data) are known only in part, so columns are
// discovered, and what a store lacks is left empty.
package streams

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/iosphotofs/iosphotofs/meta/bplist"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
)

// Layout is the kind of store.
type Layout int

const (
	NotStore Layout = iota
	// ILife: ILifeAssetManagement.db, assets/sub/<uuid>/<file> (my Photo
	// Stream), assets/sub-shared/<asset GUID>/<file> and
	// state/albumshare/<n>+<n>/Model.sqlite (shared streams).
	ILife
	// CloudPhotos: coremediastream-state/<id>/Model.sqlite and
	// assets/<album GUID>/<asset GUID>/<file>.
	CloudPhotos
)

func (l Layout) String() string {
	switch l {
	case ILife:
		return "iLifeAssetManagement Photo Stream store"
	case CloudPhotos:
		return "Photos shared streams store (cloudphotosd)"
	}
	return "not a stream store"
}

// Detect tells a store from its layout.
func Detect(dir string) Layout {
	exists := func(p string) bool { _, err := os.Stat(filepath.Join(dir, p)); return err == nil }
	switch {
	case exists("assets") && (exists("ILifeAssetManagement.db") || exists("state/albumshare")):
		return ILife
	case exists("assets") && exists("coremediastream-state"):
		return CloudPhotos
	}
	return NotStore
}

// Models lists a store's Model.sqlite files: one per Apple ID the Mac
// followed streams with, all of them read.
func Models(dir string, l Layout) []string {
	pattern := map[Layout]string{ILife: "state/albumshare/*/Model.sqlite", CloudPhotos: "coremediastream-state/*/Model.sqlite"}[l]
	if pattern == "" {
		return nil
	}
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	slices.Sort(m)
	return m
}

// Album is a stream.
type Album struct {
	GUID, Name string
}

// Asset is a photo or video of a stream (an AssetCollections row).
type Asset struct {
	GUID, AlbumGUID string
	// PhotoDate is when it was taken, BatchDate when it was shared (UTC;
	// zero when unknown).
	PhotoDate, BatchDate time.Time
	// FileName and FullName (the uploader) come from the obj blob.
	FileName, FullName string
}

// Model is what one Model.sqlite says.
type Model struct {
	Albums []Album
	Assets []Asset
}

// epoch2001 is the stores' time origin: 2001-01-01 UTC (978307200, not
// the 978310800 of a bug copied between tools).
const epoch2001 = 978307200

// ReadModel reads the streams and assets of an open Model.sqlite.
func ReadModel(db sqlitedb.Reader) (*Model, error) {
	m := &Model{}
	cols, err := db.Columns("Albums")
	if err != nil {
		return nil, err
	}
	if !cols["GUID"] {
		return nil, fmt.Errorf("streams: no Albums table with a GUID column: not a Model.sqlite this reader knows")
	}
	err = db.SelectExisting("Albums", []string{"GUID", "name"}, func(v []any) error {
		m.Albums = append(m.Albums, Album{GUID: text(v[0]), Name: text(v[1])})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = db.SelectExisting("AssetCollections", []string{"GUID", "albumGUID", "photoDate", "batchDate", "obj"}, func(v []any) error {
		a := Asset{GUID: text(v[0]), AlbumGUID: text(v[1]), PhotoDate: date(v[2]), BatchDate: date(v[3])}
		if blob, ok := v[4].([]byte); ok {
			var ar bplist.Archive
			if ar.Open(blob) == nil {
				a.FileName, _ = ar.String("fileName")
				a.FullName, _ = ar.String("fullName")
			}
		}
		m.Assets = append(m.Assets, a)
		return nil
	})
	if err == sqlitedb.ErrNoTable {
		err = nil // a store with streams but no assets yet
	}
	return m, err
}

func text(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case []byte:
		return string(s)
	}
	return ""
}

// date reads a 2001-epoch REAL (or INTEGER) column as UTC.
func date(v any) time.Time {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int64:
		f = float64(n)
	default:
		return time.Time{}
	}
	if f == 0 {
		return time.Time{}
	}
	return time.Unix(epoch2001+int64(f), int64((f-float64(int64(f)))*1e9)).UTC()
}

// IsThumbnail reports files of an asset folder that are not the photo:
// thumbnails, and the poster frames of videos (".5.jpg").
func IsThumbnail(name string) bool {
	lower := strings.ToLower(name)
	return strings.Contains(lower, "thumbnail") || strings.HasSuffix(lower, ".5.jpg")
}
