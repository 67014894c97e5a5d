package media

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// readPNG walks the chunks before the image data: eXIf (EXIF), iTXt XMP,
// caBX (C2PA). Metadata after IDAT is not read: the PNG specification puts
// eXIf before IDAT, and reading past the image data would read the file.
func readPNG(s *source, info *Info) error {
	off := int64(8)
	for {
		h, err := s.read(off, 8)
		if err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint32(h))
		if n > 1<<31-1 {
			return errors.New("media: PNG chunk length")
		}
		switch string(h[4:8]) {
		case "IDAT", "IEND":
			return nil
		case "caBX":
			info.C2PA = true
		case "eXIf":
			body, err := s.read(off+8, n)
			if err != nil {
				return err
			}
			if err := readEXIF(body, info); err != nil {
				return err
			}
		case "iTXt":
			body, err := s.read(off+8, n)
			if err != nil {
				return err
			}
			if text, ok := xmpITXt(body); ok {
				readXMP(text, info)
			}
		}
		off += 12 + n
	}
}

// xmpITXt returns the text of an uncompressed iTXt chunk holding XMP
// (keyword XML:com.adobe.xmp).
func xmpITXt(b []byte) ([]byte, bool) {
	const keyword = "XML:com.adobe.xmp\x00"
	if !bytes.HasPrefix(b, []byte(keyword)) || len(b) < len(keyword)+2 || b[len(keyword)] != 0 {
		return nil, false // compressed XMP is rare and not read
	}
	rest := b[len(keyword)+2:]
	// language tag, then translated keyword, each NUL-terminated
	for range 2 {
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return nil, false
		}
		rest = rest[i+1:]
	}
	return rest, true
}
