package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"
)

// EXIF tags read here (TIFF IFD0, the Exif sub-IFD, Apple's MakerNote).
const (
	tagMake               = 0x010f
	tagModel              = 0x0110
	tagDateTime           = 0x0132
	tagExifIFD            = 0x8769
	tagDateTimeOriginal   = 0x9003
	tagDateTimeDigitized  = 0x9004
	tagOffsetTime         = 0x9010
	tagOffsetTimeOriginal = 0x9011
	tagOffsetTimeDigitzed = 0x9012
	tagUserComment        = 0x9286
	tagSubSecOriginal     = 0x9291
	tagMakerNote          = 0x927c
	appleContentID        = 0x0011
)

var errNoTIFF = errors.New("media: EXIF block is not TIFF")

// readEXIF decodes a TIFF-structured EXIF block (starting at its byte-order
// mark). Only IFD0, the Exif sub-IFD and Apple's MakerNote are read. The
// IFD reader is ours rather than goexif's: goexif drops a whole IFD when one
// tag in it has a zero count (common in real files) and follows IFD chains
// that can loop.
func readEXIF(b []byte, info *Info) error {
	order, err := tiffOrder(b)
	if err != nil {
		return err
	}
	ifd0, err := ifd(b, int64(order.Uint32(b[4:])), order)
	if err != nil {
		return err
	}
	info.Make = tagString(ifd0, tagMake)
	info.Model = tagString(ifd0, tagModel)
	var sub map[uint16]tag
	if t, ok := ifd0[tagExifIFD]; ok && len(t.val) == 4 {
		sub, _ = ifd(b, int64(order.Uint32(t.val)), order) // a broken sub-IFD still leaves IFD0
	}
	for _, d := range []struct {
		date, offset, subsec uint16
		from                 string
		tags                 map[uint16]tag
	}{
		{tagDateTimeOriginal, tagOffsetTimeOriginal, tagSubSecOriginal, "EXIF DateTimeOriginal", sub},
		{tagDateTimeDigitized, tagOffsetTimeDigitzed, 0, "EXIF DateTimeDigitized", sub},
		{tagDateTime, tagOffsetTime, 0, "EXIF DateTime", mergeTags(ifd0, sub)},
	} {
		t, zoned, ok := exifTime(tagString(d.tags, d.date), tagString(d.tags, d.offset), tagString(d.tags, d.subsec))
		switch {
		case !ok:
		case d.date == tagDateTime:
			// IFD0 DateTime is when the file was last changed: XMP's
			// creation dates are better.
			info.setFallback(t, zoned, d.from, rankEXIFModified)
		default:
			info.setTaken(t, zoned, d.from)
		}
	}
	if t, ok := sub[tagUserComment]; ok && isScreenshot(userComment(t.val)) {
		info.Screenshot = true
	}
	if t, ok := sub[tagMakerNote]; ok {
		info.ContentID = appleContentIDOf(t.val)
	}
	return nil
}

// tiffOrder reads a TIFF block's byte-order mark.
func tiffOrder(b []byte) (binary.ByteOrder, error) {
	if len(b) >= 8 {
		switch string(b[:4]) {
		case "II*\x00":
			return binary.LittleEndian, nil
		case "MM\x00*":
			return binary.BigEndian, nil
		}
	}
	return nil, errNoTIFF
}

// tag is one IFD entry: its type and the bytes of its value.
type tag struct {
	typ uint16
	val []byte
}

// typeSize is the byte size of one value of each TIFF type (0: unknown).
var typeSize = [...]int{1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}

// ifd decodes the IFD at off (offsets count from the TIFF header at b[0])
// into its entries by ID. Entries whose value lies outside b are dropped.
func ifd(b []byte, off int64, order binary.ByteOrder) (map[uint16]tag, error) {
	if off < 8 || off+2 > int64(len(b)) {
		return nil, errors.New("media: EXIF IFD offset out of range")
	}
	n := int64(order.Uint16(b[off:]))
	if off+2+12*n > int64(len(b)) {
		return nil, errors.New("media: EXIF IFD runs past its block")
	}
	tags := make(map[uint16]tag, n)
	for i := range n {
		e := b[off+2+12*i:][:12]
		typ := order.Uint16(e[2:])
		if int(typ) >= len(typeSize) || typeSize[typ] == 0 {
			continue
		}
		size := int64(typeSize[typ]) * int64(order.Uint32(e[4:]))
		val := e[8 : 8+min(size, 4)]
		if size > 4 {
			at := int64(order.Uint32(e[8:]))
			if at+size > int64(len(b)) {
				continue
			}
			val = b[at : at+size]
		}
		tags[order.Uint16(e)] = tag{typ, val}
	}
	return tags, nil
}

func mergeTags(a, b map[uint16]tag) map[uint16]tag {
	m := make(map[uint16]tag, len(a)+len(b))
	for k, v := range b {
		m[k] = v
	}
	for k, v := range a {
		m[k] = v
	}
	return m
}

// tagString returns an ASCII (or undefined) value as text.
func tagString(tags map[uint16]tag, id uint16) string {
	t, ok := tags[id]
	if !ok || id == 0 || (t.typ != 2 && t.typ != 7) {
		return ""
	}
	s := string(t.val)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// exifTime reads "2006:01:02 15:04:05" with an optional offset ("+01:00")
// and sub-second digits.
func exifTime(date, offset, subsec string) (time.Time, bool, bool) {
	t, err := time.Parse("2006:01:02 15:04:05", date)
	if err != nil {
		// Some writers use dashes.
		if t, err = time.Parse("2006-01-02 15:04:05", date); err != nil {
			return time.Time{}, false, false
		}
	}
	if n, err := strconv.Atoi(subsec); err == nil && n > 0 && len(subsec) <= 9 {
		for range 9 - len(subsec) {
			n *= 10
		}
		t = t.Add(time.Duration(n))
	}
	if loc, ok := parseOffset(offset); ok {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc), true, true
	}
	return t, false, true
}

// userComment strips the 8-byte character-code prefix of an EXIF
// UserComment.
func userComment(b []byte) string {
	if len(b) >= 8 {
		switch string(b[:8]) {
		case "ASCII\x00\x00\x00", "\x00\x00\x00\x00\x00\x00\x00\x00", "JIS\x00\x00\x00\x00\x00":
			b = b[8:]
		case "UNICODE\x00":
			b = b[8:]
			// UCS-2 in either order: keep the ASCII bytes.
			b = bytes.ReplaceAll(b, []byte{0}, nil)
		}
	}
	return strings.TrimSpace(strings.TrimRight(string(b), "\x00"))
}

func isScreenshot(comment string) bool { return strings.EqualFold(comment, "Screenshot") }

// appleContentIDOf reads tag 0x11 of an Apple MakerNote ("Apple iOS\0",
// version, "MM", then an IFD whose offsets count from the MakerNote's start).
func appleContentIDOf(mn []byte) string {
	if len(mn) < 16 || !bytes.HasPrefix(mn, []byte("Apple iOS\x00")) || string(mn[12:14]) != "MM" {
		return ""
	}
	d, err := ifd(mn, 14, binary.BigEndian)
	if err != nil {
		return ""
	}
	return tagString(d, appleContentID)
}
