package media

import (
	"bytes"
	"encoding/binary"
	"errors"
)

var (
	exifHeader = []byte("Exif\x00\x00")
	xmpHeader  = []byte("http://ns.adobe.com/xap/1.0/\x00")
)

// readJPEG walks the marker segments up to the image data (SOS): APP1 EXIF
// and XMP, APP11 JUMBF (C2PA).
func readJPEG(s *source, info *Info) error {
	off := int64(2)
	for {
		h, err := s.read(off, 4)
		if err != nil {
			return err
		}
		if h[0] != 0xff {
			return errors.New("media: JPEG marker expected")
		}
		marker := h[1]
		switch {
		case marker == 0xff: // fill byte
			off++
			continue
		case marker == 0xd8 || marker == 0x01 || marker >= 0xd0 && marker <= 0xd7:
			off += 2 // no length
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image
			return nil
		}
		n := int64(binary.BigEndian.Uint16(h[2:]))
		if n < 2 {
			return errors.New("media: JPEG segment length")
		}
		if marker == 0xe1 || marker == 0xeb {
			body, err := s.read(off+4, n-2)
			if err != nil {
				return err
			}
			switch {
			case marker == 0xe1 && bytes.HasPrefix(body, exifHeader):
				if err := readEXIF(body[len(exifHeader):], info); err != nil {
					return err
				}
			case marker == 0xe1 && bytes.HasPrefix(body, xmpHeader):
				readXMP(body[len(xmpHeader):], info)
			case marker == 0xeb && isJUMBFC2PA(body):
				info.C2PA = true
			}
		}
		off += 2 + n
	}
}

// isJUMBFC2PA recognises an APP11 segment of a JPEG-XT box ("JP", box
// instance, sequence number) carrying a JUMBF superbox labelled c2pa. Only
// the first segment of a store has the description box; later ones repeat
// the box header, which is enough as C2PA is already known by then.
func isJUMBFC2PA(b []byte) bool {
	if len(b) < 8+8 || string(b[:2]) != "JP" {
		return false
	}
	box := b[8:]
	return string(box[4:8]) == "jumb" && bytes.Contains(box[8:min(len(box), 64)], []byte("c2pa"))
}
