// Package bplist reads Apple binary property lists ("bplist00") without
// building a generic value tree: objects are decoded on demand straight from
// the buffer. Manifest.db holds one small bplist per row (hundreds of
// thousands of them), and a reflection-based decoder is the slowest step of
// an index build; this reader allocates only for the strings it is asked for.
package bplist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf16"
)

// Kind is the type of a plist object.
type Kind uint8

const (
	Invalid Kind = iota
	Null
	Bool
	Int
	Real
	Date
	Data
	String
	UID
	Array
	Dict
)

var kindNames = [...]string{"invalid", "null", "bool", "int", "real", "date", "data", "string", "uid", "array", "dict"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// maxObjects bounds the object count a trailer may claim, so that a damaged
// blob cannot make us allocate or loop without end.
const maxObjects = 1 << 24

// Plist is a parsed binary plist header; objects are read lazily from buf.
type Plist struct {
	buf        []byte
	offsets    []byte // the offset table
	offsetSize int
	refSize    int
	numObjects uint64
	top        uint64
}

// Value is one object of a Plist. Its accessors never panic: asking a value
// for the wrong kind gives the zero result.
type Value struct {
	p    *Plist
	kind Kind
	// word is a scalar's value (ints, uids, bools, the bits of reals and
	// dates), or else where the payload starts (after marker and length),
	// with wideBit set for UTF-16 strings. Four fields, not six: the
	// compiler keeps a struct of at most four in registers, and copying a
	// larger one through memory stalled every decoder's hot loop.
	word  uint64
	count int // bytes for data/ascii, UTF-16 units for strings, entries for arrays/dicts
}

const wideBit = 1 << 63

// start is where a data, string, array or dict payload starts.
func (v Value) start() int { return int(v.word &^ wideBit) }

// wide reports a UTF-16 string.
func (v Value) wide() bool { return v.word&wideBit != 0 }

// IsBinary reports whether b starts like a binary plist.
func IsBinary(b []byte) bool {
	return len(b) >= 8 && string(b[:6]) == "bplist" && b[6] == '0'
}

// Open checks the header and trailer of b. b is kept, not copied.
func Open(b []byte) (*Plist, error) {
	p := new(Plist)
	if err := p.init(b); err != nil {
		return nil, err
	}
	return p, nil
}

// init reads the trailer and offset table of b into p.
func (p *Plist) init(b []byte) error {
	if len(b) < 8+32 || !IsBinary(b) {
		return errors.New("bplist: not a binary plist")
	}
	t := b[len(b)-32:]
	*p = Plist{
		buf:        b,
		offsetSize: int(t[6]),
		refSize:    int(t[7]),
		numObjects: binary.BigEndian.Uint64(t[8:]),
		top:        binary.BigEndian.Uint64(t[16:]),
	}
	tableOff := binary.BigEndian.Uint64(t[24:])
	if p.offsetSize < 1 || p.offsetSize > 8 || p.refSize < 1 || p.refSize > 8 {
		return errors.New("bplist: bad trailer sizes")
	}
	if p.numObjects == 0 || p.numObjects > maxObjects || p.top >= p.numObjects {
		return errors.New("bplist: bad object count")
	}
	end := uint64(len(b) - 32)
	tableLen := p.numObjects * uint64(p.offsetSize)
	if tableOff < 8 || tableOff > end || tableLen > end-tableOff {
		return errors.New("bplist: offset table out of range")
	}
	p.offsets = b[tableOff : tableOff+tableLen]
	return nil
}

// Top returns the top object.
func (p *Plist) Top() (Value, error) { return p.Object(p.top) }

// Object decodes the header of object ref.
func (p *Plist) Object(ref uint64) (Value, error) {
	if ref >= p.numObjects {
		return Value{}, fmt.Errorf("bplist: object %d out of range", ref)
	}
	off := beUint(p.offsets[ref*uint64(p.offsetSize):][:p.offsetSize])
	limit := uint64(len(p.buf) - 32)
	if off < 8 || off >= limit {
		return Value{}, fmt.Errorf("bplist: object %d offset out of range", ref)
	}
	pos := int(off)
	marker := p.buf[pos]
	pos++
	v := Value{p: p}
	hi, lo := marker>>4, int(marker&0x0f)
	switch hi {
	case 0x0:
		switch marker {
		case 0x00:
			v.kind = Null
		case 0x08, 0x09:
			v.kind, v.word = Bool, uint64(marker&1)
		default:
			return Value{}, fmt.Errorf("bplist: unknown marker %#x", marker)
		}
		return v, nil
	case 0x1:
		n := 1 << lo
		if n > 16 || pos+n > len(p.buf) {
			return Value{}, errors.New("bplist: bad integer")
		}
		// 16-byte integers hold 64-bit values in their low half.
		b := p.buf[pos : pos+n]
		if n == 16 {
			b = b[8:]
		}
		v.kind, v.word = Int, beUint(b)
		return v, nil
	case 0x2, 0x3:
		n := 1 << lo
		if marker == 0x33 {
			n = 8
		} else if hi == 0x3 || (n != 4 && n != 8) {
			return Value{}, fmt.Errorf("bplist: bad real %#x", marker)
		}
		if pos+n > len(p.buf) {
			return Value{}, errors.New("bplist: truncated real")
		}
		v.kind = Real
		if marker == 0x33 {
			v.kind = Date
		}
		if n == 4 {
			v.word = math.Float64bits(float64(math.Float32frombits(binary.BigEndian.Uint32(p.buf[pos:]))))
		} else {
			v.word = binary.BigEndian.Uint64(p.buf[pos:])
		}
		return v, nil
	case 0x8:
		n := lo + 1
		if pos+n > len(p.buf) {
			return Value{}, errors.New("bplist: truncated uid")
		}
		v.kind, v.word = UID, beUint(p.buf[pos:pos+n])
		return v, nil
	case 0x4, 0x5, 0x6, 0xA, 0xD:
	default:
		return Value{}, fmt.Errorf("bplist: unknown marker %#x", marker)
	}
	count := uint64(lo)
	if lo == 0xf {
		// The length follows as an int object.
		if pos >= len(p.buf) || p.buf[pos]>>4 != 0x1 {
			return Value{}, errors.New("bplist: bad length")
		}
		n := 1 << (p.buf[pos] & 0x0f)
		pos++
		if n > 8 || pos+n > len(p.buf) {
			return Value{}, errors.New("bplist: bad length")
		}
		count = beUint(p.buf[pos : pos+n])
		pos += n
	}
	var size uint64
	wide := false
	switch hi {
	case 0x4:
		v.kind, size = Data, count
	case 0x5:
		v.kind, size = String, count
	case 0x6:
		v.kind, size, wide = String, count*2, true
	case 0xA:
		v.kind, size = Array, count*uint64(p.refSize)
	case 0xD:
		v.kind, size = Dict, 2*count*uint64(p.refSize)
	}
	if count > uint64(len(p.buf)) || size > uint64(len(p.buf)-pos) {
		return Value{}, errors.New("bplist: object runs past the end")
	}
	v.word, v.count = uint64(pos), int(count)
	if wide {
		v.word |= wideBit
	}
	return v, nil
}

func beUint(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// Kind returns the object's type.
func (v Value) Kind() Kind { return v.kind }

// Len is the number of entries of an array or dict.
func (v Value) Len() int {
	if v.kind == Array || v.kind == Dict {
		return v.count
	}
	return 0
}

// Int returns an integer, or a real truncated to an integer (MBFile times
// are integers in practice, but nothing forbids a writer storing reals).
func (v Value) Int() (int64, bool) {
	switch v.kind {
	case Int:
		return int64(v.word), true
	case Real:
		f := math.Float64frombits(v.word)
		if math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// Float returns a real, date (seconds since 2001-01-01 UTC) or integer.
func (v Value) Float() (float64, bool) {
	switch v.kind {
	case Real, Date:
		return math.Float64frombits(v.word), true
	case Int:
		return float64(int64(v.word)), true
	}
	return 0, false
}

// Bool returns a boolean.
func (v Value) Bool() (bool, bool) { return v.word == 1, v.kind == Bool }

// UID returns the reference of a keyed-archiver UID.
func (v Value) UID() (uint64, bool) { return v.word, v.kind == UID }

// Bytes returns a data object's bytes; they alias the plist buffer.
func (v Value) Bytes() ([]byte, bool) {
	if v.kind != Data {
		return nil, false
	}
	return v.p.buf[v.start() : v.start()+v.count], true
}

// Str returns a string object.
func (v Value) Str() (string, bool) {
	if v.kind != String {
		return "", false
	}
	if !v.wide() {
		return string(v.p.buf[v.start() : v.start()+v.count]), true
	}
	u := make([]uint16, v.count)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(v.p.buf[v.start()+2*i:])
	}
	return string(utf16.Decode(u)), true
}

// ASCII returns an 8-bit string's bytes without copying (nil for UTF-16
// strings and other kinds); dict keys are read this way.
func (v Value) ASCII() []byte {
	if v.kind != String || v.wide() {
		return nil
	}
	return v.p.buf[v.start() : v.start()+v.count]
}

// equals reports whether v is the string s, without allocating for ASCII.
func (v Value) equals(s string) bool {
	if v.kind != String {
		return false
	}
	if !v.wide() {
		return string(v.p.buf[v.start():v.start()+v.count]) == s
	}
	got, _ := v.Str()
	return got == s
}

// ref returns reference i of the array or dict whose references start at
// start.
func (p *Plist) ref(start, i int) uint64 {
	rs := p.refSize
	return beUint(p.buf[start+i*rs : start+(i+1)*rs])
}

// Index returns entry i of an array.
func (v Value) Index(i int) (Value, error) {
	if v.kind != Array || i < 0 || i >= v.count {
		return Value{}, fmt.Errorf("bplist: no array entry %d", i)
	}
	return v.p.Object(v.p.ref(v.start(), i))
}

// Key returns key i of a dict; Val(i) is its value. Reading keys alone
// lets a decoder skip the values it does not want.
func (v Value) Key(i int) (Value, error) {
	if v.kind != Dict || i < 0 || i >= v.count {
		return Value{}, fmt.Errorf("bplist: no dict entry %d", i)
	}
	return v.p.Object(v.p.ref(v.start(), i))
}

// Val returns value i of a dict.
func (v Value) Val(i int) (Value, error) {
	if v.kind != Dict || i < 0 || i >= v.count {
		return Value{}, fmt.Errorf("bplist: no dict entry %d", i)
	}
	return v.p.Object(v.p.ref(v.start(), v.count+i))
}

// Entry returns key and value i of a dict.
func (v Value) Entry(i int) (key, val Value, err error) {
	if v.kind != Dict || i < 0 || i >= v.count {
		return Value{}, Value{}, fmt.Errorf("bplist: no dict entry %d", i)
	}
	if key, err = v.p.Object(v.p.ref(v.start(), i)); err != nil {
		return
	}
	val, err = v.p.Object(v.p.ref(v.start(), v.count+i))
	return
}

// KeyASCII returns dict key i's bytes (aliasing the buffer) when it is an
// 8-bit string, and nil otherwise, reading no more than that takes:
// decoders look at every key of every row.
func (v Value) KeyASCII(i int) []byte {
	if v.kind != Dict || i < 0 || i >= v.count {
		return nil
	}
	p := v.p
	ref := v.p.ref(v.start(), i)
	if ref >= p.numObjects {
		return nil
	}
	off := beUint(p.offsets[ref*uint64(p.offsetSize):][:p.offsetSize])
	limit := uint64(len(p.buf) - 32)
	if off < 8 || off >= limit || p.buf[off]>>4 != 0x5 {
		return nil
	}
	// The same bounds as Object's.
	end := uint64(len(p.buf))
	n, pos := uint64(p.buf[off]&0x0f), off+1
	if n == 0x0f { // the length follows as an int object
		if pos >= end || p.buf[pos]>>4 != 0x1 {
			return nil
		}
		w := uint64(1) << (p.buf[pos] & 0x0f)
		pos++
		if w > 8 || w > end-pos {
			return nil
		}
		n, pos = beUint(p.buf[pos:pos+w]), pos+w
	}
	if n > end-pos {
		return nil
	}
	return p.buf[pos : pos+n]
}

// Get looks a string key up in a dict. A missing key is not an error.
func (v Value) Get(key string) (Value, bool, error) {
	if v.kind != Dict {
		return Value{}, false, nil
	}
	for i := 0; i < v.count; i++ {
		if k := v.KeyASCII(i); k != nil {
			if string(k) == key {
				val, err := v.p.Object(v.p.ref(v.start(), v.count+i))
				return val, err == nil, err
			}
			continue
		}
		k, err := v.p.Object(v.p.ref(v.start(), i))
		if err != nil {
			return Value{}, false, err
		}
		if k.equals(key) {
			val, err := v.p.Object(v.p.ref(v.start(), v.count+i))
			return val, err == nil, err
		}
	}
	return Value{}, false, nil
}
