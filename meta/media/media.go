// Package media reads what iosphotofs needs from photo and video files,
// looking only at their headers: the kind of file, when it was taken (with
// the local offset where the file records one), make and model, whether it
// is a screenshot or AI-generated, and the Live Photo pairing identifier.
// Image and video data are never read.
package media

import (
	"errors"
	"io"
	"strings"
	"time"
)

// Info is what a file's headers say.
type Info struct {
	Kind Kind
	// Taken is the capture time. When Zoned, it is an instant in the
	// photo's own offset (its wall clock is the local time where it was
	// taken); otherwise only its wall clock is known (EXIF without an
	// offset, as iOS 12 and older write) and it is stored as UTC.
	Taken time.Time
	Zoned bool
	From  string // where Taken came from, e.g. "EXIF DateTimeOriginal"
	Make  string
	Model string
	// Screenshot: EXIF or XMP UserComment says "Screenshot".
	Screenshot bool
	// ContentID pairs a Live Photo's still and movie (Apple MakerNote tag
	// 0x11 in the still, com.apple.quicktime.content.identifier in the movie).
	ContentID string
	// C2PA: a C2PA manifest store is embedded (JPEG APP11 JUMBF, PNG caBX,
	// ISO-BMFF uuid box).
	C2PA bool
	// AISource: XMP DigitalSourceType names trained algorithmic media.
	AISource bool

	// fallback is a less trusted time (XMP, mvhd), used when no better one
	// turns up anywhere in the file.
	fallback struct {
		t     time.Time
		zoned bool
		from  string
		rank  int
	}
}

// maxMeta bounds any one metadata block read into memory (EXIF is at most
// 64 KiB in JPEG; HEIC and QuickTime metadata boxes are small).
const maxMeta = 4 << 20

// errTooBig is returned for a metadata block larger than maxMeta.
var errTooBig = errors.New("media: metadata block too large")

// Read reads the headers of a media file of size bytes. Unknown kinds give
// an Info with only Kind set and no error; a damaged header gives what was
// read before it and an error.
func Read(r io.ReaderAt, size int64) (Info, error) {
	// One read brings the start of the file, where nearly all metadata
	// lives (JPEG APP segments, HEIC meta, PNG chunks before IDAT).
	head := make([]byte, max(0, min(size, headSize)))
	n, err := r.ReadAt(head, 0)
	if n == 0 && err != nil {
		return Info{}, err
	}
	head = head[:n]
	info := Info{Kind: Sniff(head[:min(n, 64)])}
	src := &source{r: r, size: size, head: head}
	switch info.Kind {
	case JPEG:
		err = readJPEG(src, &info)
	case PNG:
		err = readPNG(src, &info)
	case HEIC, HEIF, AVIF, MOV, MP4, M4V, M4A, ThreeGP:
		err = readBMFF(src, &info)
	case TIFF, DNG:
		var b []byte
		if b, err = src.read(0, min(size, maxMeta)); err == nil {
			err = readEXIF(b, &info)
		}
	}
	if info.Taken.IsZero() && !info.fallback.t.IsZero() {
		info.Taken, info.Zoned, info.From = info.fallback.t, info.fallback.zoned, info.fallback.from
	}
	return info, err
}

// headSize is how much of a file's start Read takes in one go.
const headSize = 64 << 10

// source reads bounded pieces of a file.
type source struct {
	r    io.ReaderAt
	size int64
	head []byte // the file's first bytes
}

func (s *source) read(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || off > s.size || n > s.size-off {
		return nil, io.ErrUnexpectedEOF
	}
	if n > maxMeta {
		return nil, errTooBig
	}
	if off+n <= int64(len(s.head)) {
		return s.head[off : off+n], nil
	}
	b := make([]byte, n)
	if _, err := s.r.ReadAt(b, off); err != nil && !(err == io.EOF && off+n == s.size) {
		return nil, err
	}
	return b, nil
}

// setTaken records a capture time unless a better one is already there
// (the first source that gives a plausible time wins; callers ask in order
// of trust).
func (info *Info) setTaken(t time.Time, zoned bool, from string) {
	if !info.Taken.IsZero() || !Plausible(t) {
		return
	}
	info.Taken, info.Zoned, info.From = t, zoned, from
}

// Ranks of the less trusted times, best first.
const (
	rankXMPOriginal = iota + 1
	rankXMPCreated
	rankXMPCreate
	rankEXIFModified
	rankMVHD
)

// setFallback records a less trusted time; the best ranked plausible one
// is kept.
func (info *Info) setFallback(t time.Time, zoned bool, from string, rank int) {
	f := &info.fallback
	if (f.t.IsZero() || rank < f.rank) && Plausible(t) {
		f.t, f.zoned, f.from, f.rank = t, zoned, from, rank
	}
}

// Plausible rejects times no camera recorded: before 1900, after tomorrow,
// and the zero instants of the 1904 (QuickTime) and 1970 (Unix) epochs.
func Plausible(t time.Time) bool {
	if t.IsZero() || t.Year() < 1900 || t.After(time.Now().Add(24*time.Hour)) {
		return false
	}
	u := t.UTC()
	return !u.Equal(time.Unix(0, 0)) && !u.Equal(time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC))
}

// parseOffset reads "+01:00", "-0800", "Z" into a zone.
func parseOffset(s string) (*time.Location, bool) {
	s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	if s == "Z" {
		return time.UTC, true
	}
	if len(s) < 5 || (s[0] != '+' && s[0] != '-') {
		return nil, false
	}
	digits := strings.ReplaceAll(s[1:], ":", "")
	if len(digits) != 4 {
		return nil, false
	}
	h, ok1 := atoi2(digits[:2])
	m, ok2 := atoi2(digits[2:])
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return nil, false
	}
	off := h*3600 + m*60
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off), true
}

func atoi2(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// isoLayouts are the forms QuickTime and XMP dates take.
var isoLayouts = []string{
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999-0700",
}

// parseISO reads an ISO 8601 date with an offset; without one, it is a
// wall-clock time (zoned false).
func parseISO(s string) (t time.Time, zoned, ok bool) {
	s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true, true
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, false, true
		}
	}
	return time.Time{}, false, false
}
