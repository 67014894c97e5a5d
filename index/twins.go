package index

import (
	"fmt"
	"path"
	"strings"

	"github.com/iosphotofs/iosphotofs/convert"
	"github.com/iosphotofs/iosphotofs/meta/media"
)

// HEIC twins: with HEICJPEG set, each HEIC in the photo views has a JPEG
// copy (its twin) beside it, or instead of it; files/ keeps the original.
const (
	HEICOff       = "off"
	HEICAlongside = "alongside"
	HEICInstead   = "instead"
)

// Pending is the Content of a file made when first needed (a HEIC's JPEG
// twin): its size is known only once it is made, and readers of its
// attributes must ask it rather than Node.Size.
type Pending interface {
	Content
	// Size makes the file now, unless it is on its way, and waits for it.
	Size() (int64, error)
	// Ready reports whether Size would answer at once.
	Ready() bool
	// Prefetch has the file made in the background.
	Prefetch()
}

// twin serves a conversion.
type twin struct{ *convert.Job }

func (t twin) Open() (Reader, error) { return t.Job.Open() }

// SizeOf returns what stat shows for n, waiting for a file made on
// demand.
func SizeOf(n *Node) (int64, error) {
	if p, ok := n.Content.(Pending); ok {
		return p.Size()
	}
	return n.Size, nil
}

// twinPlan is the JPEG twin a HEIC photo is to have: its conversion, and
// whether the HEIC is known not to convert before trying.
type twinPlan struct {
	job *convert.Job
	cut bool // its image data runs past its end (an interrupted copy)
}

// planTwins prepares the twins of the HEIC photos the views show (nil
// when there are to be none). A HEIC with no copy in the cache yet has its
// headers read first, several at once: one cut short would not convert,
// and a copy that is listed and then fails to appear makes rsync and cp
// report it as vanished. Other HEICs that fail to convert still do that,
// the first time only (the cache remembers the failure).
func (v *photoViews) planTwins(opt photoOptions) map[*photo]*twinPlan {
	if opt.heicJPEG == HEICOff || opt.heicJPEG == "" || opt.convert == nil {
		return nil
	}
	plans := map[*photo]*twinPlan{}
	var unknown []*photo
	for _, p := range v.list {
		if (p.ext != ".heic" && p.header.Kind.Ext() != ".heic") || (p.asset != nil && !p.asset.Visible) {
			continue
		}
		n := p.node
		identity := fmt.Sprintf("%s\x00%s\x00%d\x00%d", opt.sourceID, p.srcKey, n.Size, n.Mtime)
		job := opt.convert.Job(identity, func() (convert.ReaderAtCloser, int64, error) {
			r, err := n.Content.Open()
			return r, n.Size, err
		})
		plans[p] = &twinPlan{job: job}
		if !job.Ready() {
			unknown = append(unknown, p)
		}
	}
	onDisk(opt.workers, unknown, func(p *photo) {
		r, err := p.node.Content.Open()
		if err != nil {
			return // the conversion will say why
		}
		defer r.Close()
		meta, _ := media.ReadHEIFMeta(r, p.node.Size)
		plans[p].cut = meta.Cut
	})
	return plans
}

// twinOf makes the JPEG twin of a HEIC photo planned (nil for other files,
// and for a HEIC known not to convert, which is reported). Its name is the
// photo's with .jpg for .heic, in the same case.
func (v *photoViews) twinOf(p *photo, name string, plan *twinPlan) *Node {
	if plan == nil {
		return nil
	}
	if plan.cut {
		v.problems = append(v.problems, fmt.Sprintf("no JPEG for %s: the file is cut short (its image data runs past its end)", p.srcKey))
		return nil
	}
	n := p.node
	t := &Node{Name: twinName(name), Ino: hashIno("jpeg:" + p.srcKey), Mode: ModeRegular | 0o444,
		Mtime: n.Mtime, Ctime: n.Ctime, Btime: n.Btime, Content: twin{plan.job}}
	if plan.job.Ready() {
		size, err := plan.job.Size()
		if err != nil {
			v.problems = append(v.problems, fmt.Sprintf("no JPEG for %s: %v", p.srcKey, err))
			return nil
		}
		t.Size = size
	}
	return t
}

// twinName replaces a name's extension with .jpg (.JPG for .HEIC).
func twinName(name string) string {
	ext := path.Ext(name)
	jpg := ".jpg"
	if ext != "" && ext == strings.ToUpper(ext) {
		jpg = ".JPG"
	}
	return strings.TrimSuffix(name, ext) + jpg
}
