package media

import (
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

// HEIFMeta is the metadata a HEIF file's converted copy keeps.
type HEIFMeta struct {
	// EXIF is the Exif item's TIFF block (from its byte-order mark).
	EXIF []byte
	// ICC is the primary image's colour profile (iPhones: Display P3).
	ICC []byte
	// Width and Height are the primary image's (its ispe property), 0
	// when unknown.
	Width, Height int
	// Cut is set when an item's data, where iloc puts it, runs past the
	// end of the file: a copy cut short, whose image cannot be decoded.
	// It comes with an error when the file's last box is cut too.
	Cut bool
}

// ErrNotHEIF is returned by ReadHEIFMeta for a file with no HEIF meta box.
var ErrNotHEIF = errors.New("media: not a HEIF file")

// ReadHEIFMeta reads the EXIF block and the ICC profile of a HEIF file of
// size bytes. Either may be missing.
func ReadHEIFMeta(r io.ReaderAt, size int64) (HEIFMeta, error) {
	head := make([]byte, max(0, min(size, headSize)))
	n, err := r.ReadAt(head, 0)
	if n == 0 && err != nil {
		return HEIFMeta{}, err
	}
	s := &source{r: r, size: size, head: head[:n]}
	var out HEIFMeta
	found := false
	err = s.boxes(0, s.size, func(b box) error {
		if b.typ != "meta" || found {
			return nil
		}
		found = true
		h, err := s.heifParse(b)
		if err != nil {
			return err
		}
		out.Cut = h.cut(s.size)
		if out.ICC, err = s.colorProfile(h); err != nil {
			return err
		}
		out.Width, out.Height = s.extent(h)
		for _, id := range slices.Sorted(mapKeys(h.items)) {
			if it := h.items[id]; it.typ == "Exif" {
				out.EXIF, err = s.exif(h, it)
				return err
			}
		}
		return nil
	})
	if err == nil && !found {
		err = ErrNotHEIF
	}
	return out, err
}

func mapKeys(m map[uint32]*heifItem) func(func(uint32) bool) {
	return func(yield func(uint32) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// cut reports whether an item stored in the file (construction method 0)
// has an extent past its size bytes. An extent of length 0 runs to the end
// of the file, whatever that is.
func (h *heifFile) cut(size int64) bool {
	for _, it := range h.items {
		if it.method != 0 {
			continue
		}
		for _, e := range it.extents {
			if e[0] > size || (e[1] > 0 && e[1] > size-e[0]) {
				return true
			}
		}
	}
	return false
}

// colorProfile returns the ICC profile of a colr property ("prof" or
// "rICC"): the primary item's, else the first in the file.
func (s *source) colorProfile(h *heifFile) ([]byte, error) {
	icc := func(i int) ([]byte, error) {
		if i < 1 || i > len(h.props) || h.props[i-1].typ != "colr" {
			return nil, nil
		}
		body, err := s.body(h.props[i-1])
		if err != nil || len(body) < 4 {
			return nil, err
		}
		if t := string(body[:4]); t != "prof" && t != "rICC" {
			return nil, nil
		}
		return body[4:], nil
	}
	for _, i := range h.assoc[h.primary] {
		if p, err := icc(i); p != nil || err != nil {
			return p, err
		}
	}
	for i := range h.props {
		if p, err := icc(i + 1); p != nil || err != nil {
			return p, err
		}
	}
	return nil, nil
}

// extent returns the primary image's size from its ispe property (a full
// box: version and flags, then width and height).
func (s *source) extent(h *heifFile) (w, ht int) {
	for _, i := range h.assoc[h.primary] {
		if i < 1 || i > len(h.props) || h.props[i-1].typ != "ispe" {
			continue
		}
		if body, err := s.body(h.props[i-1]); err == nil && len(body) >= 12 {
			return int(binary.BigEndian.Uint32(body[4:])), int(binary.BigEndian.Uint32(body[8:]))
		}
	}
	return 0, 0
}

// tagOrientation is TIFF IFD0's Orientation.
const tagOrientation = 0x0112

// UprightEXIF returns a copy of a TIFF EXIF block whose Orientation says
// 1 (normal), for pixels that were already turned upright.
func UprightEXIF(b []byte) ([]byte, error) {
	order, err := tiffOrder(b)
	if err != nil {
		return nil, err
	}
	b = slices.Clone(b)
	ifd0, err := ifd(b, int64(order.Uint32(b[4:])), order)
	if err != nil {
		return nil, err
	}
	if t, ok := ifd0[tagOrientation]; ok && t.typ == 3 && len(t.val) >= 2 {
		order.PutUint16(t.val, 1) // the value sits inside b's copy
	}
	return b, nil
}
