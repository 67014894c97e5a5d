package index

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/gobcache"
	"github.com/iosphotofs/iosphotofs/meta/sqlitedb"
	"github.com/iosphotofs/iosphotofs/model"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/media"
	"github.com/iosphotofs/iosphotofs/meta/photos"
	"github.com/iosphotofs/iosphotofs/meta/sqlitefile"
	"github.com/iosphotofs/iosphotofs/meta/wellknown"
)

// How a recovered file got its name, in order of trust.
const (
	byTable   = "well-known path"
	byPhotos  = "Photos.sqlite"
	byMessage = "sms.db attachment"
	bySearch  = "camera-roll search"
)

// RecoverySummary is what the recovery of payloads without a manifest row
// found (FORMATS.md 1.10).
type RecoverySummary struct {
	Payloads int            `json:"payloads"`
	Named    map[string]int `json:"named_by"` // by how the name was found
	Typed    int            `json:"typed_by_content"`
	Untyped  int            `json:"untyped"`
	// The camera-roll search: folders and names tried, or taken from the
	// cache of an earlier mount.
	SearchFolders    int   `json:"search_folders"`
	SearchCandidates int64 `json:"search_candidates"`
	SearchCached     bool  `json:"search_cached"`
}

// lost is a payload no manifest row took.
type lost struct {
	id     backup.ID
	flat   bool
	node   *model.Node
	kind   media.Kind
	dbName string // a SQLite file's name from its tables ("sms.db")
	name   *wellknown.Path
	by     string
	srcKey string // where it is shown
}

// recoverPayloads shows every payload that no manifest row took under
// recovered/: at recovered/<Domain>/<path> when its name can be found (a
// fileID is the SHA-1 of the name, so a guess is proved by the payload),
// else at recovered/other-data/<fileID>.<ext> typed by its content.
func (bb *backupBuild) recoverPayloads(opt Options, workers int) {
	var list []*lost
	bb.payloads.Rest(func(id backup.ID, p backup.Payload) {
		if p.Odd != "" {
			bb.recovered = append(bb.recovered, fmt.Sprintf("payload in no manifest row is not a regular file (%s), not shown: %s", p.Odd, id))
			return
		}
		list = append(list, &lost{id: id, flat: p.Flat})
	})
	if len(list) == 0 {
		return
	}
	slices.SortFunc(list, func(x, y *lost) int { return bytes.Compare(x.id[:], y.id[:]) })
	rs := &RecoverySummary{Payloads: len(list), Named: map[string]int{}}
	bb.s.Recovered = rs
	bb.probe(list, workers)
	list = slices.DeleteFunc(list, func(l *lost) bool { return l.node == nil })
	if bb.keybag != nil {
		// A payload's key is in its manifest row: without one it stays
		// ciphertext, and its name would promise what it cannot give.
		for _, l := range list {
			bb.addLost(l, "other-data", l.id.String()+".encrypted")
			bb.recovered = append(bb.recovered, fmt.Sprintf("payload in no manifest row, so without its key: %s, shown encrypted as %s", backup.Payload{Flat: l.flat}.Path(l.id), l.srcKey))
		}
		return
	}
	byID := make(map[backup.ID]*lost, len(list))
	for _, l := range list {
		byID[l.id] = l
	}
	// name gives a path to the payload it proves to be, if one is unnamed.
	name := func(p wellknown.Path, by string) {
		for _, f := range wellknown.Forms(p) {
			if l := byID[backup.FileID(f.Domain, f.Rel)]; l != nil && l.name == nil {
				l.name, l.by = &f, by
				return
			}
		}
	}
	table := wellknown.Table()
	for _, l := range list {
		if p, ok := table[l.id]; ok {
			l.name, l.by = &p, byTable
		}
	}
	bb.nameFromLibrary(byID, name)
	bb.nameFromMessages(byID, name)
	bb.searchCameraRoll(list, name, opt, workers)
	for _, l := range list {
		if l.name != nil {
			rs.Named[l.by]++
			bb.addNamed(l)
			continue
		}
		file := l.id.String()
		switch {
		case l.dbName != "":
			file += "-" + l.dbName
			rs.Typed++
		case l.kind != media.Unknown:
			file += l.kind.Ext()
			rs.Typed++
		default:
			rs.Untyped++
		}
		bb.addLost(l, "other-data", file)
	}
	if bb.manifest {
		// In a backup with a manifest such payloads are few, and each is
		// worth a line.
		for _, l := range list {
			bb.recovered = append(bb.recovered, fmt.Sprintf("payload in no manifest row: %s, shown as %s", backup.Payload{Flat: l.flat}.Path(l.id), l.srcKey))
		}
	}
}

// probe stats each payload and sniffs its first bytes (and a SQLite
// file's table names), in parallel: it is one open and one read a file.
func (bb *backupBuild) probe(list []*lost, workers int) {
	failed := map[string]bool{} // a folder that does not open is reported once
	for _, l := range list {
		if _, err := bb.payloadDir(l.id, l.flat); err != nil {
			folder := path.Dir(backup.Payload{Flat: l.flat}.Path(l.id))
			if !failed[folder] {
				failed[folder] = true
				bb.recovered = append(bb.recovered, fmt.Sprintf("unreadable payload folder %s: %v", folder, err))
			}
		}
	}
	var mu sync.Mutex
	onDisk(workers, list, func(l *lost) {
		if err := bb.probeOne(l); err != nil {
			mu.Lock()
			bb.recovered = append(bb.recovered, fmt.Sprintf("unreadable payload: %s: %v", backup.Payload{Flat: l.flat}.Path(l.id), err))
			mu.Unlock()
		}
	})
}

func (bb *backupBuild) probeOne(l *lost) error {
	dir := bb.flatDir
	if !l.flat {
		dir = bb.subDirs[l.id[0]]
	}
	if dir == nil {
		return nil // reported by probe
	}
	f, err := dir.Open(l.id.String())
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file: %w", syscall.EIO)
	}
	mtime := fi.ModTime().Unix()
	pl := &payload{dir: dir, id: l.id, flat: l.flat, manifest: unknownSize}
	pl.settle(fi.Size())
	l.node = &model.Node{Ino: model.IDIno(l.id[:8]), Mode: model.MadeFile, Size: fi.Size(), Mtime: mtime, Ctime: mtime, Content: pl}
	if bb.keybag != nil {
		return nil
	}
	var head [64]byte
	n, _ := f.ReadAt(head[:], 0)
	l.kind = media.Sniff(head[:n])
	if l.kind == media.SQLite {
		if db, err := sqlitefile.Open(f, fi.Size()); err == nil {
			tables, _ := db.Tables() // what could be read says what it is
			l.dbName = wellknown.DatabaseName(tables)
		}
	}
	return nil
}

// named returns the recovered file at a path, if there is one.
func named(byID map[backup.ID]*lost, p wellknown.Path) *lost {
	if l := byID[backup.FileID(p.Domain, p.Rel)]; l != nil && l.name != nil {
		return l
	}
	return nil
}

// withDB reads a recovered database (with its -wal and -journal when
// those were recovered too) in place.
func withDB(byID map[backup.ID]*lost, p wellknown.Path, fn func(sqlitedb.Reader) error) (bool, error) {
	db := named(byID, p)
	if db == nil {
		return false, nil
	}
	beside := func(suffix string) *model.Node {
		if l := named(byID, wellknown.Path{Domain: p.Domain, Rel: p.Rel + suffix}); l != nil {
			return l.node
		}
		return nil
	}
	return true, readInPlace(db.node, beside("-wal"), beside("-journal"), fn)
}

// nameFromLibrary names the camera roll's files from a recovered
// Photos.sqlite, which lists each asset's path, and keeps the library for
// the photo views.
func (bb *backupBuild) nameFromLibrary(byID map[backup.ID]*lost, name func(wellknown.Path, string)) {
	found, err := withDB(byID, wellknown.Path{Domain: "CameraRollDomain", Rel: "Media/PhotoData/Photos.sqlite"}, func(db sqlitedb.Reader) error {
		lib, err := photos.Read(db)
		bb.lib = lib
		return err
	})
	if !found {
		return
	}
	bb.libRead = true
	if err != nil {
		bb.recovered = append(bb.recovered, fmt.Sprintf("recovered Photos.sqlite unreadable (camera-roll names come from the search): %v", err))
		return
	}
	for i := range bb.lib.Assets {
		rel := bb.lib.Assets[i].Path()
		for _, p := range []string{"Media/" + rel, "Media/PhotoData/" + rel} {
			name(wellknown.Path{Domain: "CameraRollDomain", Rel: p}, byPhotos)
		}
		if m := dcimName.FindStringSubmatch(rel); m != nil {
			for _, r := range []string{"FullSizeRender.jpg", "FullSizeRender.heic", "FullSizeRender.mov", "Adjustments.plist"} {
				name(wellknown.Path{Domain: "CameraRollDomain", Rel: "Media/PhotoData/Mutations/DCIM/" + m[1] + "/" + m[2] + "/Adjustments/" + r}, byPhotos)
			}
		}
	}
}

// dcimName splits a library path "DCIM/100APPLE/IMG_0001.HEIC" into its
// folder and stem, which name its edit's folder.
var dcimName = regexp.MustCompile(`^DCIM/([0-9]{3}[A-Z_]{5})/([^/]+)\.[^./]+$`)

// nameFromMessages names Messages attachments from a recovered sms.db.
func (bb *backupBuild) nameFromMessages(byID map[backup.ID]*lost, name func(wellknown.Path, string)) {
	_, err := withDB(byID, wellknown.Path{Domain: "HomeDomain", Rel: "Library/SMS/sms.db"}, func(db sqlitedb.Reader) error {
		files, err := wellknown.Attachments(db)
		for _, f := range files {
			if p, ok := wellknown.AttachmentPath(f); ok {
				name(p, byMessage)
			}
		}
		return err
	})
	if err != nil {
		bb.recovered = append(bb.recovered, fmt.Sprintf("recovered sms.db: attachments not read: %v", err))
	}
}

// searchCameraRoll tries camera-roll names for the payloads still
// unnamed, remembering what it found for the next mount of the same
// payloads.
func (bb *backupBuild) searchCameraRoll(list []*lost, name func(wellknown.Path, string), opt Options, workers int) {
	var ids []backup.ID
	atLeast := 0
	h := sha1.New()
	for _, l := range list {
		if l.name == nil {
			ids = append(ids, l.id)
			h.Write(l.id[:])
		} else if m := dcimFolder.FindStringSubmatch(l.name.Rel); m != nil && l.name.Domain == "CameraRollDomain" {
			// Never stop before the last folder another oracle named.
			n, _ := strconv.Atoi(m[1])
			atLeast = max(atLeast, n+1)
		}
	}
	if len(ids) == 0 {
		return
	}
	rs := bb.s.Recovered
	var c searchCache
	cachePath := gobcache.File(opt.CacheDir, "cameraroll", "backup\x00"+absPath(bb.s.Source))
	key := fmt.Sprintf("%x/%d", h.Sum(nil), atLeast)
	if gobcache.Load(cachePath, &c) && c.Key == key {
		rs.SearchCached = true
	} else {
		const what = "searching camera-roll names (DCIM folders)"
		var progress func(int)
		if opt.Progress != nil {
			progress = func(folder int) { opt.Progress(what, folder-wellknown.FirstFolder+1, 0) }
		}
		r := wellknown.SearchCameraRoll(wellknown.NewIDSet(ids), wellknown.SearchOptions{Workers: workers, AtLeastTo: atLeast, Progress: progress})
		if opt.Progress != nil {
			opt.Progress(what, r.Folders, r.Folders)
		}
		c = searchCache{Key: key, Found: r.Found, Folders: r.Folders, Candidates: r.Candidates}
		if err := gobcache.Save(cachePath, c); err != nil {
			bb.recovered = append(bb.recovered, fmt.Sprintf("camera-roll search not cached (the next mount searches again): %v", err))
		}
	}
	rs.SearchFolders, rs.SearchCandidates = c.Folders, c.Candidates
	for _, p := range c.Found {
		name(p, bySearch)
	}
}

var dcimFolder = regexp.MustCompile(`^Media/DCIM/([0-9]{3})APPLE/`)

// searchCache is a camera-roll search's result, for the payloads whose
// IDs hash to Key.
type searchCache struct {
	Key        string
	Found      []wellknown.Path
	Folders    int
	Candidates int64
}

// addNamed puts a named payload at recovered/<Domain>/<path>; the camera
// roll's photos also go into the photo views.
func (bb *backupBuild) addNamed(l *lost) {
	p := *l.name
	relDir, base, changed := model.SplitSafe(p.Rel)
	if base == "" {
		base = l.id.String()
	}
	dom := model.SafeName(p.Domain)
	srcKey := "recovered/" + dom + "/" + p.Rel
	if changed {
		bb.recovered = append(bb.recovered, fmt.Sprintf("path shown as %q: %s-%s (%s)", joinPath(relDir, base), p.Domain, p.Rel, l.id))
		bb.bld.sourceKey(l.node, srcKey)
	}
	l.node.Name, l.srcKey = base, srcKey
	bb.bld.add(joinPath("recovered/"+dom, relDir), l.node)
	bb.s.Domains[domainGroup(p.Domain)]++
	bb.notePhoto(p.Domain, p.Rel, l.node, "recovered/"+dom+"/", nil)
}

func (bb *backupBuild) addLost(l *lost, dir, name string) {
	l.node.Name, l.srcKey = name, "recovered/"+dir+"/"+name
	bb.bld.add("recovered/"+dir, l.node)
}

// Text lines of the summary for a recovery.
func (rs *RecoverySummary) lines(line func(k, format string, a ...any)) {
	named := 0
	for _, n := range rs.Named {
		named += n
	}
	line("Recovered", "%d payloads without a manifest row (in recovered/): %d named, %d typed by content, %d untyped", rs.Payloads, named, rs.Typed, rs.Untyped)
	for _, by := range slices.Sorted(maps.Keys(rs.Named)) {
		line("  named by", "%s: %d", by, rs.Named[by])
	}
	if rs.SearchFolders > 0 {
		line("Camera-roll search", "%d folders, %d names tried", rs.SearchFolders, rs.SearchCandidates)
	}
}
