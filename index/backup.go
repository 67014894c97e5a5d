package index

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/manifest"
)

// ErrEncrypted is returned for encrypted backups until they are supported.
var ErrEncrypted = errors.New("encrypted backups are not supported yet (Manifest.plist says IsEncrypted)")

// Options tune a build.
type Options struct {
	Workers int // parallel decoders and folder scanners; 0 means 2
}

// FromBackup builds the tree of a backup folder: files/<Domain>/<path> for
// every manifest row whose payload exists, and info/.
func FromBackup(b *backup.Backup, opt Options) (*Tree, error) {
	if b.Info.Encrypted {
		return nil, ErrEncrypted
	}
	workers := cmp.Or(opt.Workers, 2)
	root, err := os.OpenRoot(b.Dir)
	if err != nil {
		return nil, err
	}

	var payloads map[backup.ID]backup.Payload
	var scanErr error
	var wg sync.WaitGroup
	wg.Go(func() { payloads, scanErr = backup.ScanPayloads(b.Dir, workers) })
	res, err := readManifest(b, workers)
	wg.Wait()
	if err == nil {
		err = scanErr
	}
	if err != nil {
		root.Close()
		return nil, err
	}

	s := &Summary{Source: b.Dir, Kind: b.Kind.String(), Backup: b.Info, Domains: map[string]int{}}
	s.Problems = append(s.Problems, b.Problems...)
	slices.Sort(res.Problems)
	s.Problems = append(s.Problems, res.Problems...)
	if b.Kind == backup.NoManifest {
		s.Problems = append(s.Problems, "no Manifest.db or Manifest.mbdb: names cannot be recovered yet; the payloads are listed as unnamed")
	}

	recs := res.Records
	slices.SortFunc(recs, func(x, y backup.Record) int {
		return cmp.Or(strings.Compare(x.Domain, y.Domain), strings.Compare(x.RelativePath, y.RelativePath))
	})
	bld := newBuilder(b.Info.LastBackup.Unix())
	var missing, skipped, other []string
	for i := range recs {
		r := &recs[i]
		where := r.Domain + "-" + r.RelativePath
		if r.Type == backup.Unknown {
			s.Skipped++
			skipped = append(skipped, fmt.Sprintf("skipped: %s (%s): unknown flags %d", where, r.ID, r.Flags))
			continue
		}
		names, changed := SafePath(r.RelativePath)
		if changed {
			other = append(other, fmt.Sprintf("path with '..' shown as %q: %s (%s)", strings.Join(names, "/"), where, r.ID))
		}
		dir := "files/" + SafeName(r.Domain)
		if len(names) == 0 {
			if r.Type != backup.Directory {
				other = append(other, fmt.Sprintf("skipped: %s (%s): a file where its domain's folder should be", where, r.ID))
				s.Skipped++
				continue
			}
			dir, names = "files", []string{SafeName(r.Domain)}
		} else {
			dir = joinPath(dir, strings.Join(names[:len(names)-1], "/"))
		}
		n := &Node{Name: names[len(names)-1], Ino: idIno(r.ID[:8])}
		setAttrs(n, r, bld.dirTime)
		switch r.Type {
		case backup.Regular:
			p, ok := payloads[r.ID]
			if !ok {
				s.Missing++
				missing = append(missing, fmt.Sprintf("missing payload: %s (%s), %d bytes", where, r.ID, r.File.Size))
				continue
			}
			delete(payloads, r.ID)
			if !r.Damaged && p.Size != r.File.Size {
				other = append(other, fmt.Sprintf("size differs: %s (%s): manifest says %d bytes, payload has %d; showing the payload", where, r.ID, r.File.Size, p.Size))
			}
			n.Size = p.Size
			n.Content = &payload{root: root, path: p.Path(r.ID)}
			s.Domains[domainGroup(r.Domain)]++
		case backup.Symlink:
			n.Target = r.File.Target
			n.Size = int64(len(n.Target))
			s.Symlinks++
		case backup.Directory:
			s.Dirs++
		}
		bld.add(dir, n)
	}

	var orphans []string
	for id, p := range payloads {
		orphans = append(orphans, fmt.Sprintf("payload in no manifest row: %s (%d bytes)", p.Path(id), p.Size))
	}
	slices.Sort(orphans)
	s.Orphans = len(orphans)
	for _, list := range [][]string{missing, skipped, other, orphans} {
		s.Problems = append(s.Problems, list...)
	}
	s.Files, s.Bytes = bld.files, bld.bytes
	addInfo(bld, s)
	t := bld.finish()
	t.Summary = s
	return t, nil
}

func readManifest(b *backup.Backup, workers int) (*manifest.Result, error) {
	switch b.Kind {
	case backup.Modern:
		return manifest.ReadDB(filepath.Join(b.Dir, "Manifest.db"), workers)
	case backup.Legacy:
		data, err := os.ReadFile(filepath.Join(b.Dir, "Manifest.mbdb"))
		if err != nil {
			return nil, err
		}
		return manifest.ParseMBDB(data)
	}
	return &manifest.Result{}, nil
}

// setAttrs copies a row's mode and times; a row whose metadata is damaged
// gets the backup's date.
func setAttrs(n *Node, r *backup.Record, fallback int64) {
	f := r.File
	if r.Damaged {
		f.LastModified, f.LastStatusChange = fallback, fallback
	}
	n.Mtime, n.Ctime, n.Btime = f.LastModified, f.LastStatusChange, f.Birth
	switch r.Type {
	case backup.Directory:
		n.Mode = ModeDir | 0o555
	case backup.Symlink:
		n.Mode = ModeSymlink | 0o777
	default:
		n.Mode = ModeRegular | uint32(f.Mode)&0o555 | 0o444
	}
}

// domainGroup is the part of a domain before its first '-'
// ("AppDomain-com.example" -> "AppDomain").
func domainGroup(d string) string {
	if i := strings.IndexByte(d, '-'); i > 0 {
		return d[:i]
	}
	return d
}

// payload is a plain payload file inside the backup folder.
type payload struct {
	root *os.Root // opens never leave the backup folder
	path string
}

func (p *payload) Open() (Reader, error) {
	f, err := openNoAtime(p.root, p.path)
	if err != nil {
		return nil, err
	}
	return f, nil
}
