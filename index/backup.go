package index

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"github.com/iosphotofs/iosphotofs/model"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/iosphotofs/iosphotofs/convert"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/crypt"
	"github.com/iosphotofs/iosphotofs/meta/manifest"
	"github.com/iosphotofs/iosphotofs/meta/photos"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
)

// Options tune a build.
type Options struct {
	Workers int // parallel decoders, folder scanners and header readers; 0 means 2
	// NamesByDate names the photo views' files YYYY.MM.DD.HH.MM.SS.ext.
	NamesByDate bool
	// CacheDir keeps what media headers said between mounts ("": no cache).
	CacheDir string
	// Progress, if set, is called as long steps go on (from one goroutine
	// at a time): what is being done, and how far; total 0 means unknown,
	// and done == total ends the step.
	Progress func(what string, done, total int)
	// Password (UTF-8) or Key (derived, 32 bytes) opens encrypted backups.
	Password, Key []byte
	// HEICJPEG puts JPEG twins of HEIC photos in the photo views
	// (HEICAlongside, HEICInstead; "" or HEICOff: none), made by Convert.
	HEICJPEG string
	Convert  *convert.Pool
	// NeverIndex puts an empty .metadata_never_index at the root, which
	// keeps Spotlight from indexing the mount (hours, for a backup).
	NeverIndex bool
	// Name is the source as the user named it, shown in info/ and keying
	// the caches, when the folder read is another path to it (a private
	// view: srcdir.View); "": the folder read.
	Name string
	// Log is told, at debug level, the decisions a user may need to see
	// (which date each photo got and from where, what a view leaves out);
	// nil: nothing is logged.
	Log *slog.Logger
	// Strict refuses to build a tree that would show less than the
	// source holds when it settles (a rebuild while it is being written:
	// a backup mid-snapshot, a stream database mid-sync), so that the
	// tree already served stays.
	Strict bool
}

// FromBackup builds the tree of a backup folder: files/<Domain>/<path> for
// every manifest row whose payload exists, and info/.
func FromBackup(b *backup.Backup, opt Options) (*Tree, error) {
	workers := cmp.Or(opt.Workers, 2)
	if opt.Strict && b.Info.Interrupted() {
		return nil, fmt.Errorf("the backup is being written (Status.plist SnapshotState %q)", b.Info.SnapshotState)
	}
	manifestPath := filepath.Join(b.Dir, "Manifest.db")
	var keybag *crypt.Keybag
	if b.Info.Encrypted {
		if b.Kind == backup.NoManifest {
			return nil, errors.New("an encrypted backup without its Manifest.db cannot be read: each file's key is kept there")
		}
		var err error
		if keybag, err = unlockBackup(b, opt); err != nil {
			return nil, err
		}
		if b.Kind == backup.Modern {
			var cleanup func()
			// The plaintext manifest lives only while the tree is built.
			if manifestPath, cleanup, err = decryptManifest(b, keybag, workers); err != nil {
				return nil, err
			}
			defer cleanup()
		}
		// A legacy Manifest.mbdb is plain; only its payloads are encrypted.
	} else if b.Kind == backup.Modern && !isSQLite(manifestPath) {
		return nil, errors.New("Manifest.db is not a SQLite database: it looks encrypted, but there is no Manifest.plist saying so (its keys live there)")
	}
	root, err := os.OpenRoot(b.Dir)
	if err != nil {
		return nil, err
	}
	bld := newBuilder(b.Info.LastBackup.Unix())
	bld.own(root)
	bb := &backupBuild{
		bld:      bld,
		s:        &Summary{Source: opt.sourceName(b.Dir), Kind: b.Kind.String(), Backup: b.Info, Domains: map[string]int{}},
		root:     root,
		domains:  map[string]*domainDirs{},
		keybag:   keybag,
		manifest: b.Kind != backup.NoManifest,
	}
	// The payload list is made while the manifest is read; rows wait for
	// it, and the photo library is read beside them.
	var scanErr error
	scanned := make(chan struct{})
	early := make(chan earlyLibrary, 1)
	bb.early = early
	go func() {
		bb.payloads, scanErr = backup.ScanPayloads(b.Dir, workers)
		// Looked up before the rows take payloads from the set.
		var lib libraryPayloads
		if scanErr == nil && bb.manifest && keybag == nil {
			lib = findLibrary(bb.payloads)
		}
		close(scanned)
		early <- readLibraryEarly(b.Dir, lib)
	}()
	problems, err := readManifest(b, manifestPath, workers, keybag != nil, func(chunk []backup.Record) {
		<-scanned
		if scanErr == nil {
			for i := range chunk {
				bb.addRecord(&chunk[i])
			}
		}
	})
	<-scanned
	if err != nil && keybag == nil && scanErr == nil {
		// Without one readable row the payloads are still there: recover
		// them all. (An encrypted backup's keys are in the rows: no.)
		problems = []string{fmt.Sprintf("%v: every payload is shown under recovered/", err)}
		err = nil
	}
	if err == nil {
		err = scanErr
	}
	if err != nil {
		bld.abandon()
		return nil, err
	}

	s := bb.s
	for _, d := range bb.domains {
		if d.files > 0 {
			s.Domains[d.group] += d.files
		}
	}
	s.Problems = append(s.Problems, b.Problems...)
	if b.Kind == backup.NoManifest {
		s.Problems = append(s.Problems, "no Manifest.db or Manifest.mbdb: every payload is shown under recovered/, named where its name could be found")
	}
	bb.recoverPayloads(opt, workers)
	id := "backup\x00" + absPath(opt.sourceName(b.Dir)) + "\x00" + b.Info.UDID
	bb.addPhotoViews(photoOptions{namesByDate: opt.NamesByDate, workers: workers, progress: opt.Progress, log: opt.Log,
		cache: openHeaderCache(opt.CacheDir, id), heicJPEG: opt.HEICJPEG, convert: opt.Convert, sourceID: id})
	if r := s.Recovered; r != nil {
		s.Orphans = r.Payloads
	}
	// Rows arrive in no particular order: sort each list for stable files.
	for _, list := range [][]string{problems, bb.missing, bb.skipped, bb.other, bb.recovered} {
		slices.Sort(list)
		s.Problems = append(s.Problems, list...)
	}
	s.Files, s.Bytes = bb.bld.files, bb.bld.bytes
	return finishWithInfo(bb.bld, s, opt), nil
}

// backupBuild is the state of one FromBackup.
type backupBuild struct {
	bld                     *builder
	s                       *Summary
	root                    *os.Root
	payloads                *backup.Payloads       // rows take theirs
	domains                 map[string]*domainDirs // by the domain as in the source
	missing, skipped, other []string
	recovered               []string // problems of payloads no row took
	manifest                bool     // the backup has a manifest (rows)
	photos                  photoViews
	keybag                  *crypt.Keybag    // unlocked, for an encrypted backup
	flatDir                 *srcdir.Dir      // the backup folder, for flat payloads
	subDirs                 [256]*srcdir.Dir // its xx/ folders, opened on first use
	// library is the camera roll's Photos.sqlite and its WAL and rollback
	// journal, when the backup has them; lib is what it says, once read
	// (libRead).
	library, libraryWAL, libraryJournal *model.Node
	lib                                 *photos.Library
	libRead                             bool
	early                               <-chan earlyLibrary
}

func (bb *backupBuild) addRecord(r *backup.Record) {
	s := bb.s
	where := func() string { return r.Domain + "-" + r.RelativePath }
	if r.Type == backup.Unknown {
		s.Skipped++
		bb.skipped = append(bb.skipped, fmt.Sprintf("skipped: %s (%s): unknown flags %d", where(), r.ID, r.Flags))
		return
	}
	relDir, name, changed := model.SplitSafe(r.RelativePath)
	dom := bb.domain(r.Domain)
	if changed {
		bb.other = append(bb.other, fmt.Sprintf("path shown as %q: %s (%s)", joinPath(relDir, name), where(), r.ID))
	}
	n := &model.Node{Name: name, Ino: model.IDIno(r.ID[:8])}
	setAttrs(n, r, bb.bld.dirTime)
	if name == "" {
		if r.Type != backup.Directory {
			bb.other = append(bb.other, fmt.Sprintf("skipped: %s (%s): a file where its domain's folder should be", where(), r.ID))
			s.Skipped++
			return
		}
		// The domain's own row.
		n.Name = dom.safe
		bb.bld.add("files", n)
		return
	}
	switch r.Type {
	case backup.Regular:
		p, ok := bb.payloads.Take(r.ID)
		if !ok {
			s.Missing++
			bb.missing = append(bb.missing, fmt.Sprintf("missing payload: %s (%s), %d bytes", where(), r.ID, r.File.Size))
			return
		}
		if p.Odd != "" {
			s.Skipped++
			bb.other = append(bb.other, fmt.Sprintf("payload is not a regular file (%s), not shown: %s (%s)", p.Odd, where(), r.ID))
			return
		}
		dir, err := bb.payloadDir(r.ID, p.Flat)
		if err != nil {
			bb.other = append(bb.other, fmt.Sprintf("unreadable payload folder: %s (%s): %v", where(), r.ID, err))
			return
		}
		// The manifest's size is what is shown until the payload is
		// looked at (see payload.Size); a damaged row has none to trust.
		n.Size = r.File.Size
		manifestSize := r.File.Size
		if r.Damaged || r.Carved {
			manifestSize = unknownSize
		}
		if bb.keybag != nil {
			e := &encPayload{keybag: bb.keybag, wrapped: r.File.EncryptionKey}
			e.dir, e.id, e.flat, e.manifest = dir, r.ID, p.Flat, manifestSize
			n.Content = e
		} else {
			n.Content = &payload{dir: dir, id: r.ID, flat: p.Flat, manifest: manifestSize}
		}
		dom.files++
		bb.notePhoto(r.Domain, r.RelativePath, n, "files/"+dom.safe+"/", r.File.PhotoXattrs)
	case backup.Symlink:
		n.Target = r.File.Target
		n.Size = int64(len(n.Target))
		s.Symlinks++
	case backup.Directory:
		s.Dirs++
		bb.bld.add(joinPath("files/"+dom.safe, relDir), n)
		return
	}
	if changed {
		bb.bld.sourceKey(n, "files/"+dom.safe+"/"+r.RelativePath)
	}
	bb.bld.addTo(bb.dir(dom, relDir), n)
}

// domainDirs is what the build keeps per domain: its safe name, its group
// for the summary, and its folders by safe relative path (sparing a tree
// path for every row).
type domainDirs struct {
	safe, group string
	dirs        map[string]*model.Node
	files       int // counted here, summed by group once all rows are in
	// The folder the domain's last row went to: rows of a folder tend to
	// come together, and a string compare is cheaper than a map lookup.
	lastRel string
	lastDir *model.Node
}

func (bb *backupBuild) domain(raw string) *domainDirs {
	d := bb.domains[raw]
	if d == nil {
		d = &domainDirs{safe: model.SafeName(raw), group: domainGroup(raw), dirs: map[string]*model.Node{}}
		bb.domains[raw] = d
	}
	return d
}

// dir returns a domain's folder at a safe relative path.
func (bb *backupBuild) dir(dom *domainDirs, relDir string) *model.Node {
	if dom.lastDir != nil && dom.lastRel == relDir {
		return dom.lastDir
	}
	d := dom.dirs[relDir]
	if d == nil {
		d = bb.bld.dir(joinPath("files/"+dom.safe, relDir))
		dom.dirs[relDir] = d
	}
	dom.lastRel, dom.lastDir = relDir, d
	return d
}

func readManifest(b *backup.Backup, manifestPath string, workers int, keys bool, sink manifest.Sink) ([]string, error) {
	var problems []string
	var err error
	switch b.Kind {
	case backup.Modern:
		problems, err = manifest.ReadDB(manifestPath, workers, keys, sink)
		if err != nil {
			err = fmt.Errorf("Manifest.db: %w", err)
		}
	case backup.Legacy:
		var data []byte
		if data, err = srcdir.ReadFile(filepath.Join(b.Dir, "Manifest.mbdb"), maxMBDB); err == nil {
			problems, err = manifest.ParseMBDB(data, sink)
		}
	}
	return problems, err
}

// setAttrs copies a row's mode and times; a row whose metadata is damaged
// gets the backup's date.
func setAttrs(n *model.Node, r *backup.Record, fallback int64) {
	f := r.File
	if r.Damaged {
		f.LastModified, f.LastStatusChange = fallback, fallback
	}
	n.Mtime, n.Ctime, n.Btime = f.LastModified, f.LastStatusChange, f.Birth
	// The device's permission bits (0644 and 0755 on real backups), less
	// setuid, setgid and sticky, and always readable and searchable by the
	// owner (the user mounting): a copy keeps them, as a copy of the
	// device's files would.
	perm := uint32(f.Mode) & 0o777
	switch r.Type {
	case backup.Directory:
		n.Mode = cmp.Or(perm, 0o755) | 0o500 | model.ModeDir
	case backup.Symlink:
		n.Mode = model.ModeSymlink | 0o777
	default:
		n.Mode = cmp.Or(perm, 0o644) | 0o400 | model.ModeRegular
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

// checkOpened refuses an opened source file that is not a regular file of
// the size shown; sizeFrom says where that size came from.
func checkOpened(f *os.File, err error, path string, size int64, sizeFrom string) (model.Reader, error) {
	f, got, err := openedRegular(f, err, path)
	if err == nil && got != size {
		f.Close()
		err = fmt.Errorf("%s has %d bytes, %s %d: %w", path, got, sizeFrom, size, syscall.EIO)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// openedRegular returns an opened source file's size, closing it if it is
// not a regular file.
func openedRegular(f *os.File, err error, path string) (*os.File, int64, error) {
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file: %w", path, syscall.EIO)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

// payloadDir returns the open folder of a payload, opening it on first use.
func (bb *backupBuild) payloadDir(id backup.ID, flat bool) (*srcdir.Dir, error) {
	slot := &bb.flatDir
	if !flat {
		slot = &bb.subDirs[id[0]]
	}
	if *slot == nil {
		name := "."
		if !flat {
			name = id.String()[:2]
		}
		d, err := srcdir.Open(bb.root, name)
		if err != nil {
			return nil, err
		}
		bb.bld.own(d)
		*slot = d
	}
	return *slot, nil
}

// notePhoto keeps what the photo views need from a regular file: the
// library, and the photos. The file is at keyPrefix+rel in the tree (the
// key is made only for photos: this runs for every row).
func (bb *backupBuild) notePhoto(domain, rel string, n *model.Node, keyPrefix string, xattrs map[string][]byte) {
	if domain == "CameraRollDomain" {
		switch rel {
		case "Media/PhotoData/Photos.sqlite":
			bb.library = n
		case "Media/PhotoData/Photos.sqlite-wal":
			bb.libraryWAL = n
		case "Media/PhotoData/Photos.sqlite-journal":
			bb.libraryJournal = n
		}
	}
	if ph := backupPhoto(domain, rel, n, keyPrefix, xattrs); ph != nil {
		bb.photos.list = append(bb.photos.list, ph)
	}
}

// addPhotoViews reads the photo library (when the backup has one and the
// recovery has not read it already) and the headers it does not cover,
// and adds the photo views.
func (bb *backupBuild) addPhotoViews(opt photoOptions) {
	v := &bb.photos
	if len(v.list) == 0 {
		return
	}
	if bb.library != nil && !bb.libRead {
		e := <-bb.early
		err := e.err
		if e.lib != nil || e.err != nil {
			bb.lib = e.lib
		} else {
			err = readInPlace(bb.library, bb.libraryWAL, bb.libraryJournal, func(db sqlitedb.Reader) (err error) {
				bb.lib, err = photos.Read(db)
				return err
			})
		}
		if err != nil {
			v.problems = append(v.problems, fmt.Sprintf("Photos.sqlite unreadable (dates and albums come from the files): %v", err))
		}
	}
	if bb.lib != nil {
		v.problems = append(v.problems, bb.lib.Problems...)
		v.useLibrary(bb.lib)
	}
	v.readHeaders(opt.workers, opt.cache, opt.progress)
	v.decide()
	v.add(bb.bld, opt)
	bb.s.Photos = v.summary()
	slices.Sort(v.problems)
	bb.s.Problems = append(bb.s.Problems, v.problems...)
}

// maxMBDB bounds the Manifest.mbdb read: a 400,000-file backup's is
// about 100 MB.
const maxMBDB = 1 << 30

// sourceName is how the source read at dir is shown and known.
func (opt Options) sourceName(dir string) string { return cmp.Or(opt.Name, dir) }

// earlyLibrary is the camera roll's photo library read beside the
// manifest; neither lib nor err when it was not read so.
type earlyLibrary struct {
	lib *photos.Library
	err error
}

// Library payloads, by their fileIDs.
var (
	libraryID        = backup.FileID("CameraRollDomain", "Media/PhotoData/Photos.sqlite")
	libraryWALID     = backup.FileID("CameraRollDomain", "Media/PhotoData/Photos.sqlite-wal")
	libraryJournalID = backup.FileID("CameraRollDomain", "Media/PhotoData/Photos.sqlite-journal")
)

// libraryPayloads are the library's payload files, when a plain backup
// has them and no rollback journal beside them (that one is left to the
// usual path).
type libraryPayloads struct {
	db, wal       backup.Payload
	found, hasWAL bool
}

func findLibrary(ps *backup.Payloads) libraryPayloads {
	var l libraryPayloads
	l.db, l.found = ps.Find(libraryID)
	l.wal, l.hasWAL = ps.Find(libraryWALID)
	if _, journal := ps.Find(libraryJournalID); journal {
		l.found = false
	}
	return l
}

// readLibraryEarly reads the camera roll's photo library of the backup
// in dir while the manifest is read, by its payload's fileID: used when the manifest lists
// it, it takes the library read off the build's critical path.
func readLibraryEarly(dir string, l libraryPayloads) earlyLibrary {
	if !l.found {
		return earlyLibrary{}
	}
	path := func(id backup.ID, p backup.Payload) string { return filepath.Join(dir, p.Path(id)) }
	wal := ""
	if l.hasWAL {
		wal = path(libraryWALID, l.wal)
	}
	db, done, err := sqlitedb.OpenInPlace(path(libraryID, l.db), wal, "")
	if err != nil {
		return earlyLibrary{} // the usual path says why
	}
	defer done()
	lib, err := photos.Read(sqlitedb.Pages{DB: db})
	return earlyLibrary{lib: lib, err: err}
}

// absPath identifies a source by its absolute path (as given, if that
// cannot be had).
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// readInPlace reads a database of the tree in place, through its Content
// (decrypted as it is read for an encrypted backup), with its WAL or hot
// rollback journal (either may be nil) laid over it: nothing is copied or
// written.
func readInPlace(db, wal, journal *model.Node, read func(sqlitedb.Reader) error) error {
	var files []model.Reader
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	open := func(n *model.Node) (io.ReaderAt, int64, error) {
		if n == nil {
			return nil, 0, nil
		}
		r, size, err := openSized(n)
		if err != nil {
			return nil, 0, err
		}
		files = append(files, r)
		return r, size, nil
	}
	r, size, err := open(db)
	var b sqlitedb.Beside
	if err == nil {
		b.WAL, b.WALSize, err = open(wal)
	}
	if err == nil && journal != nil && hotJournal(journal.Content) {
		b.Journal, b.JournalSize, err = open(journal)
	}
	if err != nil {
		return err
	}
	pages, err := sqlitedb.OpenPages(r, size, b)
	if err != nil {
		return err
	}
	return read(pages)
}

// openSized opens a file of the tree, and says its size (known once it is
// open: a JPEG twin is made by then).
func openSized(n *model.Node) (model.Reader, int64, error) {
	r, err := n.Content.Open()
	if err != nil {
		return nil, 0, err
	}
	size, err := model.SizeOf(n)
	if err != nil {
		r.Close()
		return nil, 0, err
	}
	return r, size, nil
}
