package bplist

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"howett.net/plist"
)

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The reference encoder is howett.net/plist; every kind it writes must read back.
func TestReadsWhatAnEncoderWrites(t *testing.T) {
	long := strings.Repeat("x", 300) // length in a following int object
	wide := "Ünïcödé ✓"              // written as UTF-16
	date := time.Date(2021, 1, 17, 16, 44, 1, 0, time.UTC)
	in := map[string]any{
		"small": int64(7), "u16": int64(40000), "u32": int64(3_000_000_000), "neg": int64(-5),
		"big": int64(1) << 62, "real": 2.5, "f32": float32(0.25), "yes": true, "no": false,
		"str": "ascii", "long": long, "wide": wide, "data": []byte{1, 2, 3}, "date": date,
		"uid": plist.UID(300), "arr": []any{"a", int64(2)},
		"dict": map[string]any{"inner": "v"},
	}
	p, err := Open(mustMarshal(t, in))
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.Top()
	if err != nil || top.Kind() != Dict || top.Len() != len(in) {
		t.Fatalf("top = %v %v len %d", top.Kind(), err, top.Len())
	}
	get := func(k string) Value {
		v, ok, err := top.Get(k)
		if !ok || err != nil {
			t.Fatalf("Get(%q) = %v, %v", k, ok, err)
		}
		return v
	}
	for k, want := range map[string]int64{"small": 7, "u16": 40000, "u32": 3_000_000_000, "neg": -5, "big": 1 << 62} {
		if got, ok := get(k).Int(); !ok || got != want {
			t.Errorf("%s = %d %v, want %d", k, got, ok, want)
		}
	}
	if f, _ := get("real").Float(); f != 2.5 {
		t.Errorf("real = %v", f)
	}
	if f, _ := get("f32").Float(); f != 0.25 {
		t.Errorf("f32 = %v", f)
	}
	if b, ok := get("yes").Bool(); !b || !ok {
		t.Error("yes is not true")
	}
	if b, ok := get("no").Bool(); b || !ok {
		t.Error("no is not false")
	}
	for k, want := range map[string]string{"str": "ascii", "long": long, "wide": wide} {
		if got, ok := get(k).Str(); !ok || got != want {
			t.Errorf("%s = %q", k, got)
		}
	}
	if b, _ := get("data").Bytes(); !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Errorf("data = %v", b)
	}
	if f, _ := get("date").Float(); f != float64(date.Unix()-978307200) {
		t.Errorf("date = %v", f)
	}
	if u, ok := get("uid").UID(); !ok || u != 300 {
		t.Errorf("uid = %d", u)
	}
	arr := get("arr")
	if arr.Len() != 2 {
		t.Fatalf("arr len %d", arr.Len())
	}
	if v, err := arr.Index(1); err != nil || v.Kind() != Int {
		t.Errorf("arr[1] = %v %v", v.Kind(), err)
	}
	if _, err := arr.Index(2); err == nil {
		t.Error("arr[2] did not fail")
	}
	inner, _, _ := get("dict").Get("inner")
	if s, _ := inner.Str(); s != "v" {
		t.Errorf("dict.inner = %q", s)
	}
	if _, ok, err := top.Get("absent"); ok || err != nil {
		t.Error("absent key found")
	}
	// Wrong-kind accessors give zero values, never panic.
	if _, ok := get("str").Int(); ok {
		t.Error("string read as int")
	}
	if _, ok := get("small").Bytes(); ok {
		t.Error("int read as data")
	}
}

func TestRejectsDamage(t *testing.T) {
	good := mustMarshal(t, map[string]any{"a": "b"})
	cases := map[string][]byte{
		"empty":       nil,
		"not bplist":  []byte("<?xml version=\"1.0\"?><plist></plist>" + strings.Repeat(" ", 40)),
		"truncated":   good[:len(good)-1],
		"zero counts": append(append([]byte{}, good[:len(good)-24]...), make([]byte, 24)...),
	}
	for name, b := range cases {
		if _, err := Open(b); err == nil {
			t.Errorf("%s: Open succeeded", name)
		}
	}
}

func TestHugeCountIsAnError(t *testing.T) {
	// One array object claiming 2^40 entries: it must fail, not allocate.
	b := []byte("bplist00")
	b = append(b, 0xAF, 0x13, 0, 0, 1, 0, 0, 0, 0, 0) // array, length as an 8-byte int
	table := len(b)
	b = append(b, 8)                         // offset table: object 0 at byte 8
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 1, 1) // unused, sort version, offset size 1, ref size 1
	b = binary.BigEndian.AppendUint64(b, 1)  // objects
	b = binary.BigEndian.AppendUint64(b, 0)  // top
	b = binary.BigEndian.AppendUint64(b, uint64(table))
	p, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Top(); err == nil {
		t.Error("an array longer than the file was accepted")
	}
}

func FuzzPlist(f *testing.F) {
	f.Add(mustMarshal(f, map[string]any{"a": int64(1), "b": []any{"x", 2.5, []byte{1}}, "c": plist.UID(1)}))
	f.Add(mustMarshal(f, []any{"Ünï", true, time.Unix(0, 0)}))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Open(b)
		if err != nil {
			return
		}
		top, err := p.Top()
		if err != nil {
			return
		}
		budget := 1000
		walk(top, &budget)
	})
}

// walk visits what is reachable, as a decoder would, within a budget
// (objects may reference each other in cycles).
func walk(v Value, budget *int) {
	if *budget <= 0 {
		return
	}
	*budget--
	v.Int()
	v.Float()
	v.Str()
	v.Bytes()
	v.UID()
	for i := 0; i < v.Len(); i++ {
		if v.Kind() == Array {
			if c, err := v.Index(i); err == nil {
				walk(c, budget)
			}
			continue
		}
		if k, c, err := v.Entry(i); err == nil {
			// The fast key reader agrees with the full one.
			if fast := v.KeyASCII(i); string(fast) != string(k.ASCII()) || (fast == nil) != (k.ASCII() == nil) {
				panic(fmt.Sprintf("KeyASCII(%d) = %q, Key(%d).ASCII() = %q", i, fast, i, k.ASCII()))
			}
			walk(k, budget)
			walk(c, budget)
		}
	}
	v.Get("key")
}

func TestArchive(t *testing.T) {
	// An MBFile row as fixtures write real ones: RelativePath behind a UID.
	blob, err := fixture.MBFile(&fixture.Entry{Domain: "HomeDomain", Path: "Library/SMS/sms.db", Flags: fixture.FlagFile, Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	var a Archive
	if err := a.Open(blob); err != nil {
		t.Fatal(err)
	}
	if p, ok := a.String("RelativePath"); !ok || p != "Library/SMS/sms.db" {
		t.Errorf("RelativePath = %q, %v", p, ok)
	}
	if _, ok := a.String("Nope"); ok {
		t.Error("a missing member was found")
	}
	if err := new(Archive).Open(mustMarshal(t, map[string]any{"$objects": []any{"$null"}})); err == nil {
		t.Error("an archive without $top opened")
	}
}

func FuzzArchive(f *testing.F) {
	blob, err := fixture.MBFile(&fixture.Entry{Domain: "HomeDomain", Path: "a/b", Flags: fixture.FlagFile, Data: []byte("x")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(blob)
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Archive
		if a.Open(b) != nil {
			return
		}
		a.String("RelativePath")
		a.String("fileName")
	})
}
