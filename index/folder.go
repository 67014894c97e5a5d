package index

import (
	"cmp"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"github.com/iosphotofs/iosphotofs/model"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// folderKind is Summary.Kind of a plain folder source.
const folderKind = "folder of photos and videos"

// folderFile is a file of a plain folder source.
type folderFile struct {
	root *os.Root
	path string // slash-separated, inside root
	size int64
}

func (f *folderFile) Open() (model.Reader, error) {
	file, err := srcdir.OpenIn(f.root, filepath.FromSlash(f.path))
	return checkOpened(file, err, f.path, f.size, "when the folder was indexed it had")
}

// FromFolder builds the photo views of a plain folder of photos and videos
// (an Apple Photos export, a camera card copy): by-date, category and
// info/, dates from the media headers, then the files' own times. Files
// that are not photos or videos are not shown.
func FromFolder(dir string, opt Options) (*Tree, error) {
	workers := cmp.Or(opt.Workers, 2)
	root, b, s, err := openPhotoSource(dir, folderKind, opt)
	if err != nil {
		return nil, err
	}
	var v photoViews
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// An unreadable subfolder is a problem, not the end.
			s.Problems = append(s.Problems, fmt.Sprintf("unreadable: %s: %v", p, err))
			return nil
		}
		if !d.Type().IsRegular() || !mediaExt[strings.ToLower(path.Ext(p))] {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			s.Problems = append(s.Problems, fmt.Sprintf("unreadable: %s: %v", p, err))
			return nil
		}
		n := &model.Node{
			Name: model.SafeName(d.Name()), Ino: model.HashIno("folder:" + p), Mode: model.MadeFile,
			Size: fi.Size(), Mtime: fi.ModTime().Unix(), Ctime: fi.ModTime().Unix(),
			Content: &folderFile{root: root, path: p, size: fi.Size()},
		}
		base := path.Base(p)
		v.list = append(v.list, &photo{
			node: n, srcKey: p, rel: p, name: n.Name, ext: strings.ToLower(path.Ext(p)),
			dir: path.Dir(p), stem: strings.TrimSuffix(base, path.Ext(base)),
		})
		s.Files++
		s.Bytes += fi.Size()
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	if len(v.list) == 0 {
		root.Close()
		return nil, fmt.Errorf("no photos or videos in %s (and it is not an iPhone backup)", dir)
	}
	return v.photoTree(b, s, "folder\x00"+absPath(s.Source), opt, workers), nil
}

// openPhotoSource starts the build of a source that is photos only: its
// folder, a builder (folders dated as the source's), and its summary.
func openPhotoSource(dir, kind string, opt Options) (*os.Root, *builder, *Summary, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	b := newBuilder(st.ModTime().Unix())
	b.own(root)
	return root, b, &Summary{Source: opt.sourceName(dir), Kind: kind, Domains: map[string]int{}}, nil
}

// photoTree ends the build of a source that is photos only (a folder, a
// stream store): their headers (through the cache of the source named
// id), their views, and info/.
func (v *photoViews) photoTree(b *builder, s *Summary, id string, opt Options, workers int) *Tree {
	v.readHeaders(workers, openHeaderCache(opt.CacheDir, id), opt.Progress)
	v.decide()
	v.add(b, photoOptions{namesByDate: opt.NamesByDate, heicJPEG: opt.HEICJPEG, convert: opt.Convert, sourceID: id, log: opt.Log})
	s.Photos = v.summary()
	slices.Sort(v.problems)
	s.Problems = append(s.Problems, v.problems...)
	b.files, b.bytes = s.Files, s.Bytes
	return finishWithInfo(b, s, opt)
}
