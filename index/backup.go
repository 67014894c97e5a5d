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
	"syscall"

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

	bld := newBuilder(b.Info.LastBackup.Unix())
	var missing, skipped, other []string
	// Rows of one folder tend to come together: remember the last folder.
	var lastDomain, lastRelDir string
	var lastDir *Node
	for i := range res.Records {
		r := &res.Records[i]
		where := r.Domain + "-" + r.RelativePath
		if r.Type == backup.Unknown {
			s.Skipped++
			skipped = append(skipped, fmt.Sprintf("skipped: %s (%s): unknown flags %d", where, r.ID, r.Flags))
			continue
		}
		relDir, name, changed := splitSafe(r.RelativePath)
		domain := SafeName(r.Domain)
		if changed {
			other = append(other, fmt.Sprintf("path shown as %q: %s (%s)", joinPath(relDir, name), where, r.ID))
		}
		n := &Node{Name: name, Ino: idIno(r.ID[:8])}
		setAttrs(n, r, bld.dirTime)
		if name == "" {
			if r.Type != backup.Directory {
				other = append(other, fmt.Sprintf("skipped: %s (%s): a file where its domain's folder should be", where, r.ID))
				s.Skipped++
				continue
			}
			// The domain's own row.
			n.Name = domain
			bld.add("files", n)
			continue
		}
		switch r.Type {
		case backup.Regular:
			p, ok := payloads[r.ID]
			if !ok {
				s.Missing++
				missing = append(missing, fmt.Sprintf("missing payload: %s (%s), %d bytes", where, r.ID, r.File.Size))
				continue
			}
			delete(payloads, r.ID)
			n.Size = r.File.Size
			if r.Damaged {
				// No size in the manifest: the payload's own is the truth.
				fi, err := root.Lstat(p.Path(r.ID))
				if err != nil {
					other = append(other, fmt.Sprintf("unreadable payload: %s (%s): %v", where, r.ID, err))
					continue
				}
				n.Size = fi.Size()
			}
			n.Content = &payload{root: root, path: p.Path(r.ID), size: n.Size}
			s.Domains[domainGroup(r.Domain)]++
		case backup.Symlink:
			n.Target = r.File.Target
			n.Size = int64(len(n.Target))
			s.Symlinks++
		case backup.Directory:
			s.Dirs++
			bld.add(joinPath("files/"+domain, relDir), n)
			continue
		}
		if changed {
			bld.sourceKey(n, "files/"+domain+"/"+r.RelativePath)
		}
		if lastDir == nil || r.Domain != lastDomain || relDir != lastRelDir {
			lastDomain, lastRelDir = r.Domain, relDir
			lastDir = bld.dir(joinPath("files/"+domain, relDir))
		}
		bld.addTo(lastDir, n)
	}

	var orphans []string
	for id, p := range payloads {
		orphans = append(orphans, "payload in no manifest row: "+p.Path(id))
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
	size int64 // what stat shows, so what reads must return
}

// Open refuses a payload whose size is not the one shown: serving it would
// give readers fewer or more bytes than stat promised.
func (p *payload) Open() (Reader, error) {
	f, err := openNoAtime(p.root, p.path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() != p.size {
		err = fmt.Errorf("payload %s has %d bytes, the manifest says %d: %w", p.path, fi.Size(), p.size, syscall.EIO)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
