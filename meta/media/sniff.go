package media

import (
	"bytes"
	"unicode/utf8"
)

// Kind is a file type recognised from content.
type Kind int

const (
	Unknown Kind = iota
	JPEG
	PNG
	GIF
	HEIC
	HEIF
	AVIF
	WebP
	TIFF
	DNG
	MOV
	MP4
	M4V
	M4A
	ThreeGP
	AMR
	SQLite
	BinaryPlist
	XMLPlist
	PDF
	VCard
	ZIP
	Text
)

// IsImage reports still images.
func (k Kind) IsImage() bool {
	switch k {
	case JPEG, PNG, GIF, HEIC, HEIF, AVIF, WebP, TIFF, DNG:
		return true
	}
	return false
}

// IsVideo reports moving images (audio-only M4A and AMR are not).
func (k Kind) IsVideo() bool {
	switch k {
	case MOV, MP4, M4V, ThreeGP:
		return true
	}
	return false
}

// Ext is the file extension that kind is known by (".jpg"), or "" for
// Unknown.
func (k Kind) Ext() string {
	if k < 0 || int(k) >= len(kindExts) {
		return ""
	}
	return kindExts[k]
}

var kindExts = [...]string{
	Unknown: "", JPEG: ".jpg", PNG: ".png", GIF: ".gif", HEIC: ".heic", HEIF: ".heif", AVIF: ".avif",
	WebP: ".webp", TIFF: ".tiff", DNG: ".dng", MOV: ".mov", MP4: ".mp4", M4V: ".m4v", M4A: ".m4a",
	ThreeGP: ".3gp", AMR: ".amr", SQLite: ".sqlite", BinaryPlist: ".plist", XMLPlist: ".plist",
	PDF: ".pdf", VCard: ".vcf", ZIP: ".zip", Text: ".txt",
}

// Sniff recognises a file from its first bytes (64 are plenty).
func Sniff(b []byte) Kind {
	has := func(prefix string) bool { return bytes.HasPrefix(b, []byte(prefix)) }
	switch {
	case has("\xff\xd8\xff"):
		return JPEG
	case has("\x89PNG\r\n\x1a\n"):
		return PNG
	case has("GIF87a"), has("GIF89a"):
		return GIF
	case has("RIFF") && len(b) >= 12 && string(b[8:12]) == "WEBP":
		return WebP
	case has("II*\x00"), has("MM\x00*"):
		// DNG is TIFF with a DNGVersion tag; telling them apart needs the
		// IFD, and both read the same way here.
		return TIFF
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return brandKind(b[8:12], b[min(len(b), 16):min(len(b), 64)])
	case has("#!AMR"):
		return AMR
	case has("SQLite format 3\x00"):
		return SQLite
	case has("bplist0"):
		return BinaryPlist
	case has("%PDF-"):
		return PDF
	case has("PK\x03\x04"):
		return ZIP
	}
	text := bytes.TrimLeft(b, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(text, []byte("<?xml")) && (bytes.Contains(b, []byte("<plist")) || bytes.Contains(b, []byte("DOCTYPE plist"))), bytes.HasPrefix(text, []byte("<plist")), bytes.HasPrefix(text, []byte("<!DOCTYPE plist")):
		return XMLPlist
	case bytes.HasPrefix(bytes.ToUpper(text), []byte("BEGIN:VCARD")):
		return VCard
	}
	if len(b) > 0 && utf8.Valid(trimPartialRune(b)) && bytes.IndexByte(b, 0) < 0 {
		return Text
	}
	return Unknown
}

// brandKind maps an ISO-BMFF major brand (and, for the generic ones, the
// compatible brands) to a kind.
func brandKind(major, compatible []byte) Kind {
	switch string(major) {
	case "heic", "heix", "heim", "heis", "hevc", "hevx":
		return HEIC
	case "mif1", "msf1":
		// iPhone HEICs say mif1 with heic among the compatible brands.
		if bytes.Contains(compatible, []byte("heic")) {
			return HEIC
		}
		if bytes.Contains(compatible, []byte("avif")) {
			return AVIF
		}
		return HEIF
	case "avif", "avis":
		return AVIF
	case "qt  ":
		return MOV
	case "M4A ", "M4B ", "M4P ":
		return M4A
	case "M4V ", "M4VH", "M4VP":
		return M4V
	case "3gp4", "3gp5", "3gp6", "3gp7", "3ge6", "3ge7", "3gg6", "3g2a":
		return ThreeGP
	}
	return MP4
}

// trimPartialRune drops a multi-byte character cut off at the end of a
// sniffed prefix, so text is still recognised as UTF-8.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}
