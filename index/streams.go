package index

import (
	"cmp"
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"github.com/iosphotofs/iosphotofs/meta/streams"
)

// FromStreams builds the tree of a Mac's Photo Stream store: a folder per
// stream in by-album/, my-photo-stream/ (iLife stores), and by-date and
// category over all of them.
func FromStreams(dir string, layout streams.Layout, opt Options) (*Tree, error) {
	workers := cmp.Or(opt.Workers, 2)
	root, b, s, err := openPhotoSource(dir, layout.String(), opt)
	if err != nil {
		return nil, err
	}
	sb := &streamBuild{root: root, layout: layout, s: s, assets: map[string]*streamAsset{}, albums: map[string]string{}}
	for _, m := range streams.Models(dir, layout) {
		if err := sb.readModel(m); err != nil && opt.Strict {
			root.Close()
			return nil, err
		}
	}
	sb.nameAlbums()
	if err := sb.walk(); err != nil {
		root.Close()
		return nil, err
	}
	for _, a := range sb.ordered {
		if !a.seen {
			s.Problems = append(s.Problems, fmt.Sprintf("asset in the database but not on disk: %s/%s (%s)", sb.albums[a.AlbumGUID], a.FileName, a.GUID))
		}
	}
	return sb.photos.photoTree(b, s, "streams\x00"+absPath(s.Source), opt, workers), nil
}

// streamAsset is a database row and whether its folder was found.
type streamAsset struct {
	streams.Asset
	seen bool
}

type streamBuild struct {
	root    *os.Root
	layout  streams.Layout
	s       *Summary
	assets  map[string]*streamAsset // by asset GUID
	ordered []*streamAsset          // in database order, for problems
	// albums names each stream (album GUID) by its folder name in
	// by-album/; order lists them as the databases did.
	albums map[string]string
	order  []streams.Album
	photos photoViews
}

// readModel reads one Model.sqlite in place (with its -wal: the store may
// be mid-sync).
func (sb *streamBuild) readModel(p string) error {
	db, done, err := sqlitedb.OpenFile(p)
	if err == nil {
		defer done()
		err = sb.useModel(db)
	}
	if err != nil {
		err = fmt.Errorf("%s unreadable (its streams are not named): %w", p, err)
		sb.s.Problems = append(sb.s.Problems, err.Error())
	}
	return err
}

func (sb *streamBuild) useModel(db sqlitedb.Reader) error {
	m, err := streams.ReadModel(db)
	if err != nil {
		return err
	}
	sb.order = append(sb.order, m.Albums...)
	for i := range m.Assets {
		a := &streamAsset{Asset: m.Assets[i]}
		sb.assets[a.GUID] = a
		sb.ordered = append(sb.ordered, a)
	}
	return nil
}

// nameAlbums gives each stream a safe folder name; equal names (two Apple
// IDs following a "Family" each) get " (2)"... in database order.
func (sb *streamBuild) nameAlbums() {
	used := map[string]int{}
	for _, a := range sb.order {
		name := model.SafeName(cmp.Or(a.Name, a.GUID))
		used[name]++
		if n := used[name]; n > 1 {
			name = model.Numbered(name, n, true)
		}
		sb.albums[a.GUID] = name
	}
}

// walk finds the asset files: by stream folder (Photos), by asset folder
// (iLife shared streams), or in my Photo Stream (iLife).
func (sb *streamBuild) walk() error {
	return fs.WalkDir(sb.root.FS(), "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			sb.s.Problems = append(sb.s.Problems, fmt.Sprintf("unreadable: %s: %v", p, err))
			return nil
		}
		if !d.Type().IsRegular() || streams.IsThumbnail(d.Name()) || !mediaExt[strings.ToLower(path.Ext(p))] {
			return nil
		}
		parts := strings.Split(p, "/")
		var assetGUID, album string
		mine := false
		switch {
		case sb.layout == streams.CloudPhotos && len(parts) == 4:
			album, assetGUID = parts[1], parts[2]
		case sb.layout == streams.ILife && len(parts) == 4 && parts[1] == "sub-shared":
			assetGUID = parts[2]
		case sb.layout == streams.ILife && len(parts) == 4 && parts[1] == "sub":
			mine = true
		default:
			return nil
		}
		a := sb.assets[assetGUID]
		if a != nil {
			a.seen = true
			album = cmp.Or(album, a.AlbumGUID)
		}
		fi, err := d.Info()
		if err != nil {
			sb.s.Problems = append(sb.s.Problems, fmt.Sprintf("unreadable: %s: %v", p, err))
			return nil
		}
		n := &model.Node{Name: model.SafeName(d.Name()), Ino: model.HashIno("stream:" + p), Mode: model.MadeFile,
			Size: fi.Size(), Mtime: fi.ModTime().Unix(), Ctime: fi.ModTime().Unix(),
			Content: &folderFile{root: sb.root, path: p, size: fi.Size()}}
		base := path.Base(p)
		ph := &photo{node: n, srcKey: p, rel: p, name: n.Name, ext: strings.ToLower(path.Ext(p)),
			dir: path.Dir(p), stem: strings.TrimSuffix(base, path.Ext(base)), myStream: mine}
		if a != nil {
			ph.streamDate = cmp.Or(a.PhotoDate, a.BatchDate)
		}
		if name, ok := sb.albums[album]; ok {
			ph.streams = []string{name}
		} else if !mine {
			sb.s.Problems = append(sb.s.Problems, fmt.Sprintf("in no stream the databases know: %s", p))
		}
		sb.photos.list = append(sb.photos.list, ph)
		sb.s.Files++
		sb.s.Bytes += fi.Size()
		return nil
	})
}
