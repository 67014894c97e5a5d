package index

import (
	"cmp"
	"context"
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"log/slog"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iosphotofs/iosphotofs/convert"
	"github.com/iosphotofs/iosphotofs/meta/media"
	"github.com/iosphotofs/iosphotofs/meta/photos"
)

// Categories of the category/ view.
const (
	catPhotos      = "photos"
	catVideos      = "videos"
	catScreenshots = "screenshots"
	catGenerated   = "generated"
	catUnknown     = "unknown"
)

// photo is a file shown in the photo views, and what decides where.
type photo struct {
	node   *model.Node // the file as files/ (or the folder source) serves it
	srcKey string      // its path in the tree: orders equal names in a view
	rel    string      // its path in its domain (or source folder)
	name   string      // its name in the views
	// dir and stem pair a Live Photo's still and movie, and an edit with
	// its original ("Media/DCIM/100APPLE", "IMG_0001").
	dir, stem string
	ext       string // lowercase, with the dot
	sms       bool   // a Messages attachment: never in albums
	edit      bool   // an edited render (IMG_E....)
	// streams are the by-album folders a stream store puts it in;
	// streamDate is the store's photoDate; myStream puts it in
	// my-photo-stream/.
	streams    []string
	streamDate time.Time
	myStream   bool

	xattrs photos.Xattrs
	asset  *photos.Asset
	header media.Info
	read   bool // header was read

	taken    time.Time
	zoned    bool
	from     string
	category string
	live     *photo // for a Live Photo's movie: its still
}

// Options for the photo views.
type photoOptions struct {
	namesByDate bool
	// heicJPEG says where HEIC twins go (HEICOff, HEICAlongside,
	// HEICInstead); convert makes them; sourceID names the source in
	// the twins' cache keys.
	heicJPEG string
	convert  *convert.Pool
	sourceID string
	workers  int
	cache    *headerCache
	progress func(what string, done, total int)
	log      *slog.Logger // nil: none
}

var (
	dcimPath     = regexp.MustCompile(`^Media/DCIM/[0-9]{3}[A-Z_]{5}/[^/]+$`)
	cplPath      = regexp.MustCompile(`^Media/PhotoData/CPLAssets/group[0-9]+/[^/]+$`)
	mutationPath = regexp.MustCompile(`^Media/PhotoData/Mutations/DCIM/([0-9]{3}[A-Z_]{5})/([A-Z]{3}_)([0-9]{4})/Adjustments/FullSizeRender\.[A-Za-z0-9]+$`)
	smsPath      = regexp.MustCompile(`^Library/SMS/Attachments/.+$`)
)

// mediaExt lists the extensions shown as photos and videos; anything else
// (.AAE sidecars, plists, thumbnails' caches) stays in files/ only.
var mediaExt = map[string]bool{
	".heic": true, ".heif": true, ".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".tif": true,
	".tiff": true, ".dng": true, ".webp": true, ".avif": true, ".mov": true, ".mp4": true, ".m4v": true,
	".3gp": true,
}

var videoExt = map[string]bool{".mov": true, ".mp4": true, ".m4v": true, ".3gp": true}

// backupPhoto says whether a backup file is a photo or video the views
// show, and under which name and pairing keys.
func backupPhoto(domain, rel string, n *model.Node, keyPrefix string, x map[string][]byte) *photo {
	ext := strings.ToLower(path.Ext(rel))
	if !mediaExt[ext] {
		return nil
	}
	base := path.Base(rel)
	p := &photo{node: n, srcKey: keyPrefix + rel, rel: rel, name: n.Name, ext: ext, dir: path.Dir(rel), stem: strings.TrimSuffix(base, path.Ext(base))}
	switch {
	case domain == "CameraRollDomain" && dcimPath.MatchString(rel):
	case domain == "CameraRollDomain" && cplPath.MatchString(rel):
	case domain == "CameraRollDomain" && mutationPath.MatchString(rel):
		m := mutationPath.FindStringSubmatch(rel)
		// Shown beside its original: IMG_0001.HEIC's render is IMG_E0001.jpg.
		p.dir, p.stem, p.edit = "Media/DCIM/"+m[1], m[2]+m[3], true
		p.name = m[2] + "E" + m[3] + path.Ext(rel)
	case domain == "MediaDomain" && smsPath.MatchString(rel):
		p.sms = true
	default:
		return nil
	}
	p.xattrs = photos.FromXattrs(x)
	if p.xattrs.OriginalFilename != "" && strings.Contains(p.dir, "CPLAssets") {
		p.name = model.SafeName(p.xattrs.OriginalFilename)
	}
	return p
}

// photoViews decides dates, categories, pairs and names of photos, and adds
// the views to the tree.
type photoViews struct {
	list     []*photo
	problems []string
	// headers read from files, and taken from the cache
	headersRead, headersCached int
}

// useLibrary matches Photos.sqlite assets to the photos (by their path
// under the camera roll's Media folder).
func (v *photoViews) useLibrary(lib *photos.Library) {
	byPath := map[string]*photo{}
	for _, p := range v.list {
		if !p.edit && !p.sms {
			byPath[p.rel] = p
		}
	}
	for i := range lib.Assets {
		a := &lib.Assets[i]
		rel := a.Path()
		for _, prefix := range []string{"Media/", "Media/PhotoData/"} {
			if p := byPath[prefix+rel]; p != nil {
				p.asset = a
				if a.OriginalFilename != "" && strings.Contains(p.dir, "CPLAssets") {
					p.name = model.SafeName(a.OriginalFilename)
				}
				break
			}
		}
	}
}

// readHeaders reads the media headers of the photos no database dated, in
// parallel, or takes them from the cache; they are needed for the date and
// kind.
func (v *photoViews) readHeaders(workers int, cache *headerCache, progress func(what string, done, total int)) {
	var todo, look []*photo
	for _, p := range v.list {
		if p.asset != nil || !p.xattrs.Created.IsZero() {
			look = append(look, p)
			continue
		}
		if info, ok := cache.get(p); ok {
			p.header, p.read = info, true
			v.headersCached++
			look = append(look, p)
			continue
		}
		todo = append(todo, p)
	}
	// Photos are what people list with sizes (ls -l, file browsers, rsync):
	// the payloads of those whose headers are not read are looked at all
	// at once, rather than one a request as the kernel asks (see payload),
	// beside the rest of the build and after it: the mount need not wait.
	// A failure shows when the file is listed.
	go onDisk(workers, look, func(p *photo) { model.SizeOf(p.node) })
	var mu sync.Mutex
	done := 0
	onDisk(workers, todo, func(p *photo) {
		err := p.readHeader()
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			v.problems = append(v.problems, fmt.Sprintf("media header unreadable: %s: %v", p.srcKey, err))
		} else {
			cache.put(p)
		}
		done++
		if progress != nil {
			progress("reading photo headers", done, len(todo))
		}
	})
	v.headersRead += len(todo)
	if err := cache.save(); err != nil {
		v.problems = append(v.problems, fmt.Sprintf("header cache not saved (the next mount reads headers again): %v", err))
	}
}

func (p *photo) readHeader() error {
	r, err := p.node.Content.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	size, err := model.SizeOf(p.node) // known once opened
	if err != nil {
		return err
	}
	p.header, err = media.Read(r, size)
	p.read = true
	return err
}

// decide sets each photo's capture time and category, in order of trust.
func (v *photoViews) decide() {
	for _, p := range v.list {
		switch a := p.asset; {
		case a != nil && media.Plausible(a.Created):
			p.taken, p.zoned, p.from = a.Created, a.HasOffset, "Photos.sqlite ZDATECREATED"
		case media.Plausible(p.xattrs.Created):
			p.taken, p.zoned, p.from = p.xattrs.Created, p.xattrs.HasOffset, "xattr customCreationDate"
		case !p.header.Taken.IsZero():
			p.taken, p.zoned, p.from = p.header.Taken, p.header.Zoned, p.header.From
		case media.Plausible(p.streamDate):
			p.taken, p.zoned, p.from = p.streamDate, true, "stream photoDate"
		case media.Plausible(time.Unix(p.node.Btime, 0)):
			p.taken, p.zoned, p.from = time.Unix(p.node.Btime, 0).UTC(), true, "birth time"
		default:
			p.taken, p.zoned, p.from = time.Unix(p.node.Mtime, 0).UTC(), true, "modification time"
		}
		p.category = p.categorise()
	}
	v.dateEdits()
	v.pairLivePhotos()
}

func (p *photo) categorise() string {
	a, h := p.asset, p.header
	switch {
	case a != nil && a.Video(), h.Kind.IsVideo(), !p.read && a == nil && videoExt[p.ext]:
		return catVideos
	case a != nil && a.Screenshot(), h.Screenshot, strings.HasPrefix(strings.ToLower(p.name), "screenshot"):
		return catScreenshots
	case a != nil && a.GenerativeAI > 0, h.C2PA, h.AISource:
		return catGenerated
	case a != nil, h.Kind.IsImage(), !p.read && !videoExt[p.ext]:
		return catPhotos
	}
	return catUnknown
}

// pairLivePhotos attaches each Live Photo movie to its still (same
// mediaGroupUUID, same content identifier, or same stem in the same
// folder): it takes the still's date and category, so the pair stays
// together.
func (v *photoViews) pairLivePhotos() {
	stills := map[string]*photo{}
	for _, p := range v.list {
		if p.category == catVideos || p.sms {
			continue
		}
		for _, k := range p.liveKeys() {
			stills[k] = p
		}
	}
	for _, p := range v.list {
		if p.category != catVideos || p.sms {
			continue
		}
		for _, k := range p.liveKeys() {
			if s := stills[k]; s != nil && s.edit == p.edit {
				p.live = s
				p.taken, p.zoned, p.from, p.category = s.taken, s.zoned, s.from+" (Live Photo still)", s.category
				break
			}
		}
	}
}

func (p *photo) liveKeys() []string {
	var keys []string
	if p.xattrs.MediaGroup != "" {
		keys = append(keys, "group:"+p.xattrs.MediaGroup)
	}
	if p.header.ContentID != "" {
		keys = append(keys, "group:"+p.header.ContentID)
	}
	return append(keys, "stem:"+p.dir+"/"+p.stem)
}

// edits take their original's date: the render's own file dates are
// those of the edit.
func (v *photoViews) dateEdits() {
	originals := map[string]*photo{}
	for _, p := range v.list {
		if !p.edit && p.category != catVideos {
			originals[p.dir+"/"+p.stem] = p
		}
	}
	for _, p := range v.list {
		if o := originals[p.dir+"/"+p.stem]; p.edit && o != nil {
			p.taken, p.zoned, p.from = o.taken, o.zoned, o.from+" (original of this edit)"
		}
	}
}

// add puts the views into the tree: by-date, category and by-album for
// what the library shows; recently-deleted and hidden for the rest; burst
// frames that are not picks stay in files/ only.
func (v *photoViews) add(b *builder, opt photoOptions) {
	slices.SortFunc(v.list, func(x, y *photo) int { return cmp.Compare(x.srcKey, y.srcKey) })
	names := map[*photo]string{}
	for _, p := range v.list {
		names[p] = p.name
	}
	if opt.namesByDate {
		names = dateNames(v.list)
	}
	twins := v.twinJobs(opt)
	debug := opt.log != nil && opt.log.Enabled(context.Background(), slog.LevelDebug)
	for _, p := range v.list {
		a := p.asset
		name := names[p]
		if a != nil && !a.Visible {
			if debug {
				opt.log.Debug("not in the photo views: a burst frame that is not a pick", "file", p.srcKey)
			}
			continue
		}
		if debug {
			opt.log.Debug("photo", "file", p.srcKey, "taken", p.taken.Format(time.DateTime), "from", p.from, "category", p.category)
		}
		tw := v.twinOf(p, name, twins[p])
		// link puts the photo (and its twin, or only its twin) into a view.
		link := func(dir string) {
			if tw == nil || opt.heicJPEG == HEICAlongside {
				b.link(dir, p.node, name, p.srcKey)
			}
			if tw != nil {
				b.link(dir, tw, tw.Name, p.srcKey+".jpg")
			}
		}
		switch {
		case (a != nil && a.Trashed) || p.xattrs.Trashed:
			link("recently-deleted")
			continue
		case (a != nil && a.Hidden) || p.xattrs.Hidden:
			link("hidden")
			continue
		}
		link("by-date/" + p.taken.Format("2006_01"))
		link("category/" + p.category)
		if a != nil && !p.sms && !p.edit {
			for _, album := range a.Albums {
				link("by-album/" + model.SafeName(album))
			}
		}
		for _, stream := range p.streams {
			link("by-album/" + stream)
		}
		if p.myStream {
			link("my-photo-stream")
		}
		if s := p.live; s != nil && s.asset != nil && p.asset == nil {
			// A Live Photo's movie is not an asset of its own: it goes
			// where its still goes.
			for _, album := range s.asset.Albums {
				link("by-album/" + model.SafeName(album))
			}
		}
	}
}

// dateNames names files YYYY.MM.DD.HH.MM.SS.ext by local capture time; in
// one month folder equal times move on by a second, in source order, as
// monthly-backup users expect. A Live Photo's movie keeps its still's name.
func dateNames(list []*photo) map[*photo]string {
	names := map[*photo]string{}
	taken := map[string]bool{} // month + name
	stems := map[*photo]string{}
	for _, p := range list {
		if p.live != nil {
			continue
		}
		t := p.taken
		for {
			stem := t.Format("2006.01.02.15.04.05")
			key := t.Format("2006_01") + "/" + stem + p.ext
			if !taken[key] {
				taken[key] = true
				stems[p], names[p] = stem, stem+p.ext
				break
			}
			t = t.Add(time.Second)
		}
	}
	for _, p := range list {
		if p.live != nil {
			stem, ok := stems[p.live]
			if !ok {
				stem = p.taken.Format("2006.01.02.15.04.05")
			}
			names[p] = stem + p.ext
		}
	}
	return names
}

// PhotoSummary is what info reports about the photo views.
type PhotoSummary struct {
	Count      int            `json:"count"`
	Categories map[string]int `json:"categories"`
	DatesFrom  map[string]int `json:"dates_from"`
	// HeadersRead and HeadersCached count media headers read from files
	// and taken from the cache of an earlier mount.
	HeadersRead   int `json:"headers_read"`
	HeadersCached int `json:"headers_cached"`
	// Assets gives, per photo, the chosen capture time and its source.
	Assets []AssetDate `json:"assets"`
}

// AssetDate is one photo's capture time and where it came from.
type AssetDate struct {
	Path  string `json:"path"`
	Taken string `json:"taken"` // RFC 3339; without an offset when only the wall clock is known
	From  string `json:"from"`
}

func (v *photoViews) summary() *PhotoSummary {
	s := &PhotoSummary{Count: len(v.list), Categories: map[string]int{}, DatesFrom: map[string]int{},
		HeadersRead: v.headersRead, HeadersCached: v.headersCached}
	for _, p := range v.list {
		s.Categories[p.category]++
		s.DatesFrom[strings.TrimSuffix(strings.TrimSuffix(p.from, " (Live Photo still)"), " (original of this edit)")]++
		layout := time.RFC3339
		if !p.zoned {
			layout = "2006-01-02T15:04:05"
		}
		s.Assets = append(s.Assets, AssetDate{Path: p.srcKey, Taken: p.taken.Format(layout), From: p.from})
	}
	return s
}
