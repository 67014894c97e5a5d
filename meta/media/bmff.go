package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"time"
)

// c2paUUID is the extended type of the ISO-BMFF box holding a C2PA store.
var c2paUUID = []byte{0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e, 0x48, 0x3c, 0x92, 0x97, 0x58, 0x28, 0x87, 0x7e, 0xc4, 0x81}

var errBox = errors.New("media: damaged ISO-BMFF box")

// box is one ISO-BMFF box: its body is [body, end).
type box struct {
	typ       string
	body, end int64
}

// boxes calls fn for each box in [off, end), reading only box headers.
func (s *source) boxes(off, end int64, fn func(box) error) error {
	for off+8 <= end {
		h, err := s.read(off, 8)
		if err != nil {
			return err
		}
		size, hdr := int64(binary.BigEndian.Uint32(h)), int64(8)
		switch size {
		case 0: // to the end of the enclosing space
			size = end - off
		case 1:
			ext, err := s.read(off+8, 8)
			if err != nil {
				return err
			}
			size, hdr = int64(binary.BigEndian.Uint64(ext)), 16
		}
		if size < hdr || size > end-off {
			return errBox
		}
		if err := fn(box{typ: string(h[4:8]), body: off + hdr, end: off + size}); err != nil {
			return err
		}
		off += size
	}
	return nil
}

func (s *source) body(b box) ([]byte, error) { return s.read(b.body, b.end-b.body) }

// readBMFF reads HEIF/HEIC (meta: Exif and XMP items) and QuickTime/MP4
// (moov: mvhd and the mdta keys) files, and spots a C2PA uuid box, walking
// top-level boxes by their headers (mdat is skipped, never read).
func readBMFF(s *source, info *Info) error {
	return s.boxes(0, s.size, func(b box) error {
		switch b.typ {
		case "meta":
			return s.heifMeta(b, info)
		case "moov":
			return s.boxes(b.body, b.end, func(c box) error {
				switch c.typ {
				case "mvhd":
					return s.mvhd(c, info)
				case "meta":
					return s.quickTimeKeys(c, info)
				}
				return nil
			})
		case "uuid":
			if id, err := s.read(b.body, 16); err == nil && bytes.Equal(id, c2paUUID) {
				info.C2PA = true
			}
		}
		return nil
	})
}

// heifItem is an item of a HEIF meta box.
type heifItem struct {
	typ, contentType string
	method           int // iloc construction method: 0 file offset, 1 idat
	extents          [][2]int64
}

// heifFile is what a HEIF meta box (a full box: 4 bytes of version and
// flags, then pitm, iinf, iloc, iprp, idat...) says about its items.
type heifFile struct {
	items   map[uint32]*heifItem
	idat    box
	primary uint32
	props   []box            // ipco's property boxes; ipma indexes them from 1
	assoc   map[uint32][]int // item -> its property indexes
}

func (s *source) heifParse(meta box) (*heifFile, error) {
	h := &heifFile{items: map[uint32]*heifItem{}, assoc: map[uint32][]int{}}
	item := func(id uint32) *heifItem {
		if h.items[id] == nil {
			h.items[id] = &heifItem{}
		}
		return h.items[id]
	}
	body := func(b box, parse func([]byte) error) error {
		data, err := s.body(b)
		if err == nil {
			err = parse(data)
		}
		return err
	}
	err := s.boxes(meta.body+4, meta.end, func(b box) error {
		switch b.typ {
		case "pitm":
			return body(b, func(data []byte) error {
				r := &reader{b: data}
				if r.uint(1) == 0 {
					r.uint(3)
					h.primary = uint32(r.uint(2))
				} else {
					r.uint(3)
					h.primary = uint32(r.uint(4))
				}
				if r.bad {
					return errBox
				}
				return nil
			})
		case "iinf":
			return body(b, func(data []byte) error { return parseIINF(data, item) })
		case "iloc":
			return body(b, func(data []byte) error { return parseILOC(data, item) })
		case "iprp":
			return s.boxes(b.body, b.end, func(c box) error {
				switch c.typ {
				case "ipco":
					return s.boxes(c.body, c.end, func(p box) error {
						h.props = append(h.props, p)
						return nil
					})
				case "ipma":
					return body(c, func(data []byte) error { return parseIPMA(data, h.assoc) })
				}
				return nil
			})
		case "idat":
			h.idat = b
		}
		return nil
	})
	return h, err
}

// parseIPMA reads which properties each item has (indexes from 1 into
// ipco; the top bit of each, "essential", is dropped).
func parseIPMA(body []byte, assoc map[uint32][]int) error {
	r := &reader{b: body}
	version := r.uint(1)
	flags := r.uint(3)
	count := r.uint(4)
	for range count {
		if r.bad {
			break
		}
		var id uint32
		if version < 1 {
			id = uint32(r.uint(2))
		} else {
			id = uint32(r.uint(4))
		}
		n := r.uint(1)
		for range n {
			if flags&1 != 0 {
				assoc[id] = append(assoc[id], int(r.uint(2)&0x7fff))
			} else {
				assoc[id] = append(assoc[id], int(r.uint(1)&0x7f))
			}
		}
	}
	if r.bad {
		return errBox
	}
	return nil
}

// exif returns an Exif item's TIFF block: its data starts with a 4-byte
// offset to the TIFF header (6 on iPhones: past "Exif\0\0").
func (s *source) exif(h *heifFile, it *heifItem) ([]byte, error) {
	data, err := s.itemData(it, h.idat)
	if err != nil {
		return nil, err
	}
	if len(data) < 4 {
		return nil, errBox
	}
	skip := int64(binary.BigEndian.Uint32(data))
	if skip > int64(len(data))-4 {
		return nil, errBox
	}
	return data[4+skip:], nil
}

// heifMeta finds the Exif and XMP items of a HEIF file.
func (s *source) heifMeta(meta box, info *Info) error {
	h, err := s.heifParse(meta)
	if err != nil {
		return err
	}
	for _, it := range h.items {
		switch {
		case it.typ == "mime" && it.contentType == "application/rdf+xml":
			data, err := s.itemData(it, h.idat)
			if err != nil {
				return err
			}
			readXMP(data, info)
		case it.typ == "Exif":
			data, err := s.exif(h, it)
			if err != nil {
				return err
			}
			if err := readEXIF(data, info); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *source) itemData(it *heifItem, idat box) ([]byte, error) {
	var out []byte
	for _, e := range it.extents {
		off := e[0]
		if it.method == 1 {
			if idat.typ == "" || e[0] > idat.end-idat.body || e[1] > idat.end-idat.body-e[0] {
				return nil, errBox
			}
			off += idat.body
		} else if it.method != 0 {
			return nil, errBox
		}
		if int64(len(out))+e[1] > maxMeta {
			return nil, errTooBig
		}
		b, err := s.read(off, e[1])
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// reader reads big-endian fields from a box body; any overrun sets bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uint(n int) uint64 {
	if n == 0 {
		return 0
	}
	if len(r.b) < n || n > 8 {
		r.bad, r.b = true, nil
		return 0
	}
	var v uint64
	for _, c := range r.b[:n] {
		v = v<<8 | uint64(c)
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) cstring() string {
	i := bytes.IndexByte(r.b, 0)
	if i < 0 {
		s := string(r.b)
		r.b = nil
		return s
	}
	s := string(r.b[:i])
	r.b = r.b[i+1:]
	return s
}

// parseIINF reads item types from an iinf box body (infe versions 2 and 3;
// earlier ones carry no item type).
func parseIINF(body []byte, item func(uint32) *heifItem) error {
	r := &reader{b: body}
	version := r.uint(1)
	r.uint(3)
	if version == 0 {
		r.uint(2)
	} else {
		r.uint(4)
	}
	for len(r.b) >= 8 && !r.bad {
		size := int(binary.BigEndian.Uint32(r.b))
		if size < 8 || size > len(r.b) {
			return errBox
		}
		e := &reader{b: r.b[8:size]}
		if string(r.b[4:8]) == "infe" {
			v := e.uint(1)
			e.uint(3)
			if v >= 2 {
				var id uint32
				if v == 2 {
					id = uint32(e.uint(2))
				} else {
					id = uint32(e.uint(4))
				}
				e.uint(2) // protection index
				typ := e.uint(4)
				if !e.bad {
					it := item(id)
					it.typ = string(binary.BigEndian.AppendUint32(nil, uint32(typ)))
					e.cstring() // name
					if it.typ == "mime" {
						it.contentType = e.cstring()
					}
				}
			}
		}
		r.b = r.b[size:]
	}
	if r.bad {
		return errBox
	}
	return nil
}

// parseILOC reads item locations from an iloc box body (versions 0-2).
func parseILOC(body []byte, item func(uint32) *heifItem) error {
	r := &reader{b: body}
	version := r.uint(1)
	r.uint(3)
	sizes := r.uint(1)
	offSize, lenSize := int(sizes>>4), int(sizes&0xf)
	sizes = r.uint(1)
	baseSize, indexSize := int(sizes>>4), int(sizes&0xf)
	if version == 0 {
		indexSize = 0
	}
	var count uint64
	if version < 2 {
		count = r.uint(2)
	} else {
		count = r.uint(4)
	}
	for range count {
		if r.bad {
			break
		}
		var id uint32
		if version < 2 {
			id = uint32(r.uint(2))
		} else {
			id = uint32(r.uint(4))
		}
		method := 0
		if version == 1 || version == 2 {
			method = int(r.uint(2) & 0xf)
		}
		r.uint(2) // data reference index
		base := r.uint(baseSize)
		extents := r.uint(2)
		if extents > 1024 {
			return errBox
		}
		it := item(id)
		it.method = method
		for range extents {
			r.uint(indexSize)
			off, n := r.uint(offSize), r.uint(lenSize)
			if r.bad || base+off > 1<<62 || n > 1<<62 {
				return errBox
			}
			it.extents = append(it.extents, [2]int64{int64(base + off), int64(n)})
		}
	}
	if r.bad {
		return errBox
	}
	return nil
}

// quickTimeEpoch is 1904-01-01 UTC, the origin of mvhd times.
var quickTimeEpoch = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)

// mvhd gives the movie's creation time in UTC: the local time is not known
// from it, and on iPhones it can be the end of the recording.
func (s *source) mvhd(b box, info *Info) error {
	h, err := s.read(b.body, min(12, b.end-b.body))
	if err != nil {
		return err
	}
	r := &reader{b: h}
	var secs uint64
	if r.uint(1) == 1 {
		r.uint(3)
		secs = r.uint(8)
	} else {
		r.uint(3)
		secs = r.uint(4)
	}
	if !r.bad && secs > 0 && secs < 1<<40 {
		info.setFallback(quickTimeEpoch.Add(time.Duration(secs)*time.Second), true, "QuickTime mvhd", rankMVHD)
	}
	return nil
}

// quickTimeKeys reads the mdta keys of a QuickTime moov/meta box (keys names
// them, ilst holds values under the 1-based key index): the local creation
// date and the Live Photo content identifier.
func (s *source) quickTimeKeys(meta box, info *Info) error {
	start := meta.body
	// QuickTime's meta is a plain box; MP4's is a full box (4 more bytes).
	if h, err := s.read(start, min(8, meta.end-start)); err == nil && len(h) == 8 && string(h[4:8]) != "hdlr" && string(h[4:8]) != "keys" {
		start += 4
	}
	var keys []string
	var values map[uint32][]byte
	err := s.boxes(start, meta.end, func(b box) error {
		switch b.typ {
		case "keys":
			body, err := s.body(b)
			if err != nil {
				return err
			}
			keys = parseKeys(body)
		case "ilst":
			values = map[uint32][]byte{}
			return s.boxes(b.body, b.end, func(entry box) error {
				return s.boxes(entry.body, entry.end, func(d box) error {
					if d.typ != "data" {
						return nil
					}
					body, err := s.body(d)
					if err != nil {
						return err
					}
					if len(body) >= 8 && binary.BigEndian.Uint32(body)&0xffffff == 1 { // UTF-8
						values[binary.BigEndian.Uint32([]byte(entry.typ))] = body[8:]
					}
					return nil
				})
			})
		}
		return nil
	})
	for i, k := range keys {
		v, ok := values[uint32(i+1)]
		if !ok {
			continue
		}
		switch k {
		case "com.apple.quicktime.creationdate":
			if t, zoned, ok := parseISO(string(v)); ok {
				info.setTaken(t, zoned, "QuickTime creationdate")
			}
		case "com.apple.quicktime.content.identifier":
			info.ContentID = string(v)
		}
	}
	return err
}

func parseKeys(body []byte) []string {
	r := &reader{b: body}
	r.uint(4) // version, flags
	n := r.uint(4)
	var keys []string
	for range n {
		size := int(r.uint(4))
		if r.bad || size < 8 || size-4 > len(r.b) {
			break
		}
		keys = append(keys, string(r.b[4:size-4]))
		r.b = r.b[size-4:]
	}
	return keys
}
