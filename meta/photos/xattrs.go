package photos

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/iosphotofs/iosphotofs/meta/bplist"
)

// Xattrs is what the com.apple.assetsd.* extended attributes of a
// camera-roll file (kept in its MBFile) say about it.
type Xattrs struct {
	// Created is the capture instant, in the photo's own offset when
	// HasOffset.
	Created          time.Time
	HasOffset        bool
	OriginalFilename string
	MediaGroup       string // Live Photo pairing
	Trashed, Hidden  bool
}

const xattrPrefix = "com.apple.assetsd."

// FromXattrs decodes the photo attributes; unreadable ones are skipped.
func FromXattrs(x map[string][]byte) Xattrs {
	var out Xattrs
	if len(x) == 0 {
		return out
	}
	get := func(name string) []byte { return x[xattrPrefix+name] }
	if v, ok := plistNumber(get("customCreationDate")); ok {
		out.Created = time.Unix(epoch2001, 0).Add(time.Duration(v * float64(time.Second))).UTC()
	}
	if off, ok := offsetSeconds(get("timeZoneOffset")); ok && !out.Created.IsZero() {
		out.Created = out.Created.In(time.FixedZone("", off))
		out.HasOffset = true
	}
	out.OriginalFilename = cString(get("originalFilename"))
	out.MediaGroup = cString(get("mediaGroupUUID"))
	out.Trashed = flag(get("trashed"))
	out.Hidden = flag(get("hidden"))
	return out
}

// plistNumber reads a date or number, as a binary plist or a bare value.
func plistNumber(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	p, err := bplist.Open(b)
	if err != nil {
		return 0, false
	}
	v, err := p.Top()
	if err != nil {
		return 0, false
	}
	return v.Float()
}

// offsetSeconds reads the time-zone offset: a little-endian int32 on the
// files measured, a binary plist number as a fallback.
func offsetSeconds(b []byte) (int, bool) {
	var off int
	switch {
	case len(b) == 4:
		off = int(int32(binary.LittleEndian.Uint32(b)))
	case bplist.IsBinary(b):
		f, ok := plistNumber(b)
		if !ok {
			return 0, false
		}
		off = int(f)
	default:
		return 0, false
	}
	if off <= -16*3600 || off >= 16*3600 {
		return 0, false
	}
	return off, true
}

func cString(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// flag reads a boolean attribute, whose encoding is not documented: a
// binary plist (bool or number), else raw bytes or text where any non-zero
// byte other than '0' means true.
func flag(b []byte) bool {
	if bplist.IsBinary(b) {
		p, err := bplist.Open(b)
		if err != nil {
			return false
		}
		v, err := p.Top()
		if err != nil {
			return false
		}
		if t, ok := v.Bool(); ok {
			return t
		}
		f, ok := v.Float()
		return ok && f != 0
	}
	for _, c := range b {
		if c != 0 && c != '0' {
			return true
		}
	}
	return false
}
