package index

import (
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"path"
	"strings"

	"github.com/iosphotofs/iosphotofs/convert"
)

// HEIC twins: with HEICJPEG set, each HEIC in the photo views has a JPEG
// copy (its twin) beside it, or instead of it; files/ keeps the original.
const (
	HEICOff       = "off"
	HEICAlongside = "alongside"
	HEICInstead   = "instead"
)

// twin serves a conversion.
type twin struct{ *convert.Job }

func (t twin) Open() (model.Reader, error) { return t.Job.Open() }

// twinJobs prepares the conversions of the HEIC photos the views show
// (nil when there are to be no twins). Those with no result in the cache
// yet are checked first, several at once (convert.Job.Check): a HEIC whose
// headers show it cannot be converted (cut short, say) gets no twin,
// rather than a name that would be listed and then vanish, which makes
// rsync and cp report it. HEICs that fail later, when decoded, still do
// that, the first time only (the cache remembers the failure).
func (v *photoViews) twinJobs(opt photoOptions) map[*photo]*convert.Job {
	if opt.heicJPEG == HEICOff || opt.heicJPEG == "" || opt.convert == nil {
		return nil
	}
	jobs := map[*photo]*convert.Job{}
	var unknown []*convert.Job
	for _, p := range v.list {
		if (p.ext != ".heic" && p.header.Kind.Ext() != ".heic") || (p.asset != nil && !p.asset.Visible) {
			continue
		}
		n := p.node
		identity := fmt.Sprintf("%s\x00%s\x00%d\x00%d", opt.sourceID, p.srcKey, n.Size, n.Mtime)
		job := opt.convert.Job(identity, p.srcKey, func() (convert.ReaderAtCloser, int64, error) { return openSized(n) })
		jobs[p] = job
		if !job.Ready() {
			unknown = append(unknown, job)
		}
	}
	onDisk(opt.workers, unknown, (*convert.Job).Check)
	return jobs
}

// twinOf makes the JPEG twin of a HEIC photo from its conversion job (nil
// for other files, and for a HEIC known not to convert, which is
// reported). Its name is the photo's with .jpg for .heic, in the same case.
func (v *photoViews) twinOf(p *photo, name string, job *convert.Job) *model.Node {
	if job == nil {
		return nil
	}
	n := p.node
	t := &model.Node{Name: twinName(name), Ino: model.HashIno("jpeg:" + p.srcKey), Mode: model.MadeFile,
		Mtime: n.Mtime, Ctime: n.Ctime, Btime: n.Btime, Content: twin{job}}
	if job.Ready() {
		size, err := job.Size()
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
