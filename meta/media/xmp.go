package media

import (
	"bytes"
	"regexp"
)

// XMP is RDF/XML; the few properties read here appear either as attributes
// (name="value") or as elements (<name>value</name>, possibly inside an
// rdf:Alt/rdf:li). A full XML parse is not needed for them.
var (
	xmpDigitalSource = xmpProperty("Iptc4xmpExt:DigitalSourceType")
	xmpUserComment   = xmpProperty("exif:UserComment")
	xmpDates         = []struct {
		re   *regexp.Regexp
		from string
		rank int
	}{
		{xmpProperty("exif:DateTimeOriginal"), "XMP DateTimeOriginal", rankXMPOriginal},
		{xmpProperty("photoshop:DateCreated"), "XMP DateCreated", rankXMPCreated},
		{xmpProperty("xmp:CreateDate"), "XMP CreateDate", rankXMPCreate},
	}
)

func xmpProperty(name string) *regexp.Regexp {
	q := regexp.QuoteMeta(name)
	return regexp.MustCompile(q + `\s*=\s*["']([^"']*)["']|<` + q + `>\s*(?:<rdf:Alt>\s*<rdf:li[^>]*>)?([^<]*)<`)
}

func xmpValue(re *regexp.Regexp, x []byte) (string, bool) {
	m := re.FindSubmatch(x)
	if m == nil {
		return "", false
	}
	return string(bytes.TrimSpace(append(m[1], m[2]...))), true
}

// readXMP takes the AI marker, a screenshot comment and dates (used only
// when EXIF gives none) from an XMP packet.
func readXMP(x []byte, info *Info) {
	if v, ok := xmpValue(xmpDigitalSource, x); ok && bytes.Contains([]byte(v), []byte("trainedAlgorithmicMedia")) {
		info.AISource = true
	}
	if v, ok := xmpValue(xmpUserComment, x); ok && isScreenshot(v) {
		info.Screenshot = true
	}
	for _, d := range xmpDates {
		if v, ok := xmpValue(d.re, x); ok {
			if t, zoned, ok := parseISO(v); ok {
				info.setFallback(t, zoned, d.from, d.rank)
			}
		}
	}
}
