package media

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

const corpus = "../../../shared/corpus"

func readFile(t *testing.T, path string) Info {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	info, err := Read(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return info
}

func readBytes(t *testing.T, b []byte) Info {
	t.Helper()
	info, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func corpusFile(t *testing.T, name string) string {
	p := filepath.Join(corpus, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: the shared corpus is not beside this clone", p)
	}
	return p
}

// The expected values are those SOURCES.md records for each real file.
func TestCorpus(t *testing.T) {
	zone := func(h int) *time.Location { return time.FixedZone("", h*3600) }
	cases := []struct {
		file  string
		kind  Kind
		taken time.Time // zero: no capture time
		from  string
		c2pa  bool
		ai    bool
	}{
		{"iphone15pro-ios26.heic", HEIC, time.Date(2026, 2, 19, 14, 22, 37, 146e6, zone(-8)), "EXIF DateTimeOriginal", false, false},
		{"c2pa-c.mov", MOV, time.Date(2025, 8, 22, 21, 39, 57, 0, zone(-7)), "QuickTime creationdate", false, false},
		{"c2pa-video1.mp4", MP4, time.Date(2022, 8, 8, 21, 49, 0, 0, time.UTC), "QuickTime mvhd", true, false},
		{"c2pa-dashinit.mp4", MP4, time.Time{}, "", true, false},
		{"c2pa-C.jpg", JPEG, time.Time{}, "", true, false},
		{"c2pa-CA.jpg", JPEG, time.Time{}, "", true, false},
		{"c2pa-no_manifest.jpg", JPEG, time.Time{}, "", false, false},
		{"c2pa-firefly-gemini.png", PNG, time.Time{}, "", true, true},
		{"c2pa-libpng-test.png", PNG, time.Time{}, "", false, false},
		{"IMG_O5747.aae", XMLPlist, time.Time{}, "", false, false},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			info := readFile(t, corpusFile(t, c.file))
			if info.Kind != c.kind || info.C2PA != c.c2pa || info.AISource != c.ai {
				t.Errorf("kind %v c2pa %v ai %v, want %v %v %v", info.Kind, info.C2PA, info.AISource, c.kind, c.c2pa, c.ai)
			}
			if c.from != "" && (!info.Taken.Equal(c.taken) || info.From != c.from) {
				t.Errorf("taken %v from %q, want %v from %q", info.Taken, info.From, c.taken, c.from)
			}
			if c.from != "" && info.Taken.Format(time.RFC3339Nano) != c.taken.Format(time.RFC3339Nano) {
				t.Errorf("local time %s, want %s", info.Taken.Format(time.RFC3339Nano), c.taken.Format(time.RFC3339Nano))
			}
		})
	}
	t.Run("heic-make-model-live", func(t *testing.T) {
		info := readFile(t, corpusFile(t, "iphone15pro-ios26.heic"))
		if info.Make != "Apple" || !strings.Contains(info.Model, "iPhone 15 Pro") || !info.Zoned {
			t.Errorf("make %q model %q zoned %v", info.Make, info.Model, info.Zoned)
		}
		if len(info.ContentID) != 36 {
			t.Errorf("a real iPhone HEIC carries a Live Photo content identifier (UUID), got %q", info.ContentID)
		}
	})
	t.Run("mov-local-day-differs", func(t *testing.T) {
		info := readFile(t, corpusFile(t, "c2pa-c.mov"))
		if info.Taken.Day() != 22 || info.Taken.UTC().Day() != 23 {
			t.Errorf("local day %d, UTC day %d: want 22 and 23", info.Taken.Day(), info.Taken.UTC().Day())
		}
	})
	t.Run("xmp-create-date-beats-modify-date", func(t *testing.T) {
		// Photoshop wrote IFD0 DateTime (last change) and XMP CreateDate.
		info := readFile(t, corpusFile(t, "c2pa-no_manifest.jpg"))
		if info.From != "XMP CreateDate" {
			t.Errorf("from %q (%v), want XMP CreateDate", info.From, info.Taken)
		}
	})
}

var berlin = time.FixedZone("", 2*3600)

func screenshot() fixture.Photo {
	return fixture.Photo{Taken: time.Date(2024, 4, 1, 0, 30, 5, 0, time.UTC), Offset: "+02:00", UserComment: "Screenshot"}
}

func TestGenerated(t *testing.T) {
	still := fixture.Photo{Make: "Apple", Model: "iPhone 12", Taken: time.Date(2023, 12, 31, 23, 59, 58, 0, time.UTC),
		Offset: "-05:00", SubSec: "25", ContentID: "A1B2C3D4-0000-4000-8000-000000000001"}
	jpg, err := still.JPEG()
	if err != nil {
		t.Fatal(err)
	}
	info := readBytes(t, jpg)
	want := time.Date(2023, 12, 31, 23, 59, 58, 250e6, time.FixedZone("", -5*3600))
	if info.Kind != JPEG || !info.Taken.Equal(want) || !info.Zoned || info.Taken.Month() != 12 || info.Make != "Apple" ||
		info.Model != "iPhone 12" || info.ContentID != still.ContentID || info.Screenshot {
		t.Errorf("jpeg: %+v", info)
	}

	// iOS 12 and older: no offset, the wall clock is local.
	old := fixture.Photo{Taken: time.Date(2018, 6, 1, 8, 0, 0, 0, time.UTC)}
	oj, _ := old.JPEG()
	if info := readBytes(t, oj); info.Zoned || info.Taken.Hour() != 8 || info.From != "EXIF DateTimeOriginal" {
		t.Errorf("no offset: %+v", info)
	}

	p, err := screenshot().PNG()
	if err != nil {
		t.Fatal(err)
	}
	info = readBytes(t, p)
	if info.Kind != PNG || !info.Screenshot || !info.Taken.Equal(time.Date(2024, 4, 1, 0, 30, 5, 0, berlin)) || info.Taken.Month() != 4 {
		t.Errorf("png screenshot: %+v (local month must be April even though it is March 31 in UTC)", info)
	}

	ai := fixture.Photo{XMP: `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"><photoshop:DateCreated>2025-01-02T03:04:05+01:00</photoshop:DateCreated></rdf:Description></rdf:RDF></x:xmpmeta>`}
	ap, _ := ai.PNG()
	if info := readBytes(t, ap); !info.AISource || info.From != "XMP DateCreated" || info.Taken.Hour() != 3 {
		t.Errorf("png xmp: %+v", info)
	}

	mov := fixture.QuickTime(time.Date(2021, 3, 1, 12, 0, 25, 0, time.UTC), "2021-03-01T13:00:00+0100", "LIVE-1")
	info = readBytes(t, mov)
	if info.Kind != MOV || info.From != "QuickTime creationdate" || !info.Taken.Equal(time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC)) || info.ContentID != "LIVE-1" {
		t.Errorf("mov: %+v", info)
	}
	if info := readBytes(t, fixture.QuickTime(time.Date(2021, 3, 1, 12, 0, 25, 0, time.UTC), "", "")); info.From != "QuickTime mvhd" || info.Taken.Second() != 25 {
		t.Errorf("mov without keys: %+v", info)
	}
}

// The generated files are checked by exiftool, so the tests above do not
// rest on our writer and reader agreeing with each other only. (exiftool
// calls Apple MakerNote tag 0x11 MediaGroupUUID.)
func TestGeneratedFilesReadByExiftool(t *testing.T) {
	if _, err := exec.LookPath("exiftool"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but exiftool is missing")
		}
		t.Skip("no exiftool")
	}
	dir := t.TempDir()
	still := fixture.Photo{Make: "Apple", Model: "iPhone 12", Taken: time.Date(2023, 12, 31, 23, 59, 58, 0, time.UTC), Offset: "-05:00", SubSec: "25", ContentID: "CID-1"}
	jpg, _ := still.JPEG()
	png, _ := screenshot().PNG()
	files := map[string][]byte{
		"a.jpg": jpg,
		"b.png": png,
		"c.mov": fixture.QuickTime(time.Date(2021, 3, 1, 12, 0, 25, 0, time.UTC), "2021-03-01T13:00:00+0100", "LIVE-1"),
	}
	for name, b := range files {
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	out, err := exec.Command("exiftool", "-s", "-s", "-G0", "-DateTimeOriginal", "-OffsetTimeOriginal", "-SubSecTimeOriginal",
		"-Make", "-MediaGroupUUID", "-ContentIdentifier", "-UserComment", "-CreationDate", "-Keys:ContentIdentifier", "-CreateDate", filepath.Join(dir, "a.jpg"), filepath.Join(dir, "b.png"), filepath.Join(dir, "c.mov")).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	for _, want := range []string{
		"DateTimeOriginal: 2023:12:31 23:59:58", "OffsetTimeOriginal: -05:00", "SubSecTimeOriginal: 25", "Make: Apple",
		"MediaGroupUUID: CID-1", "UserComment: Screenshot", "DateTimeOriginal: 2024:04:01 00:30:05",
		"CreationDate: 2021:03:01 13:00:00+01:00", "ContentIdentifier: LIVE-1", "CreateDate: 2021:03:01 12:00:25",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("exiftool does not see %q in:\n%s", want, out)
		}
	}
}

func TestKindExt(t *testing.T) {
	for k := Unknown; k <= Text; k++ {
		if ext := k.Ext(); (ext == "") != (k == Unknown) {
			t.Errorf("%v.Ext() = %q", k, ext)
		}
	}
	if HEIC.Ext() != ".heic" || BinaryPlist.Ext() != ".plist" || Kind(99).Ext() != "" {
		t.Errorf("Ext: %q %q %q", HEIC.Ext(), BinaryPlist.Ext(), Kind(99).Ext())
	}
}

func TestSniff(t *testing.T) {
	for in, want := range map[string]Kind{
		"SQLite format 3\x00....":                          SQLite,
		"bplist00\xd1\x01":                                 BinaryPlist,
		"<?xml version=\"1.0\"?>\n<plist version=\"1.0\">": XMLPlist,
		"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic": HEIC,
		"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic": HEIC,
		"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1miaf": HEIF,
		"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ":     MOV,
		"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A mp42": M4A,
		"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2": MP4,
		"#!AMR\n":                    AMR,
		"%PDF-1.7":                   PDF,
		"BEGIN:VCARD\r\nVERSION:3.0": VCard,
		"PK\x03\x04":                 ZIP,
		"GIF89a":                     GIF,
		"II*\x00\x08\x00":            TIFF,
		"plain text, caf\xc3":        Text,
		"\x00\x01\x02\x03":           Unknown,
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestPlausible(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want bool
	}{
		{time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{time.Unix(0, 0), false},
		{quickTimeEpoch, false},
		{time.Now().Add(48 * time.Hour), false},
		{time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := Plausible(c.t); got != c.want {
			t.Errorf("Plausible(%v) = %v", c.t, got)
		}
	}
	// An implausible EXIF date gives way to the next source.
	bad := fixture.Photo{Taken: time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), XMP: `<rdf:Description xmp:CreateDate="2020-05-05T10:00:00"/>`}
	b, _ := bad.JPEG()
	if info := readBytes(t, b); info.From != "XMP CreateDate" {
		t.Errorf("1970 EXIF date should be skipped: %+v", info)
	}
}

// seeds returns the generated files and the small corpus files.
func seeds(f *testing.F) {
	jpg, _ := fixture.Photo{Make: "Apple", Taken: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Offset: "+01:00", ContentID: "X"}.JPEG()
	png, _ := screenshot().PNG()
	f.Add(jpg)
	f.Add(png)
	f.Add(fixture.QuickTime(time.Date(2021, 3, 1, 12, 0, 0, 0, time.UTC), "2021-03-01T13:00:00+0100", "L"))
	for _, name := range []string{"c2pa-libpng-test.png", "c2pa-no_manifest.jpg", "c2pa-dashinit.mp4"} {
		if b, err := os.ReadFile(filepath.Join(corpus, name)); err == nil && len(b) < 1<<20 {
			f.Add(b)
		}
	}
	// The HEIC's metadata lies in its first boxes: its head is a good seed.
	if b, err := os.ReadFile(filepath.Join(corpus, "iphone15pro-ios26.heic")); err == nil {
		f.Add(b[:min(len(b), 64<<10)])
	}
}

// FuzzRead drives every walker (JPEG, PNG, ISO-BMFF, TIFF) through Read.
func FuzzRead(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		Read(bytes.NewReader(b), int64(len(b)))
	})
}

// FuzzEXIF drives the IFD reader directly.
func FuzzEXIF(f *testing.F) {
	f.Add(fixture.Photo{Make: "Apple", Taken: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), UserComment: "Screenshot", ContentID: "X"}.EXIF())
	f.Fuzz(func(t *testing.T, b []byte) {
		var info Info
		readEXIF(b, &info)
	})
}

// FuzzHEIFBoxes drives the iinf/iloc/keys parsers directly.
func FuzzHEIFBoxes(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 21, 'i', 'n', 'f', 'e', 2, 0, 0, 0, 0, 1, 0, 0, 'E', 'x', 'i', 'f', 0})
	f.Add([]byte{1, 0, 0, 0, 0x44, 0x40, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 20})
	f.Fuzz(func(t *testing.T, b []byte) {
		item := func(uint32) *heifItem { return &heifItem{} }
		parseIINF(b, item)
		parseILOC(b, item)
		parseKeys(b)
	})
}

func TestReadHEIFMeta(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpus, "iphone15pro-ios26.heic"))
	if err != nil {
		t.Skipf("the shared corpus is not beside the clone: %v", err)
	}
	m, err := ReadHEIFMeta(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// exiftool -a: the primary image's profile is "Display P3" (536 bytes,
	// ICC_Profile); the gain map's is the 26,652-byte "Display P3
	// Primaries; PQ (...)" one. EXIF DateTimeOriginal 2026:02:19 14:22:37.
	if m.Width != 5712 || m.Height != 4284 {
		t.Errorf("size %dx%d, want 5712x4284", m.Width, m.Height)
	}
	if len(m.ICC) != 536 || string(m.ICC[36:40]) != "acsp" {
		t.Errorf("ICC: %d bytes, not the primary image's Display P3 profile", len(m.ICC))
	}
	var info Info
	if err := readEXIF(m.EXIF, &info); err != nil || info.Model != "iPhone 15 Pro" || info.Taken.Format("2006:01:02 15:04:05") != "2026:02:19 14:22:37" {
		t.Errorf("EXIF: %+v, %v", info, err)
	}
	if _, err := ReadHEIFMeta(bytes.NewReader([]byte("\x00\x00\x00\x10ftypjpeg\x00\x00\x00\x00")), 16); err != ErrNotHEIF {
		t.Errorf("a file without meta: %v", err)
	}
	// Whole, it is not cut; without its last byte (the end of an image
	// tile), or its last third, it is.
	if m.Cut {
		t.Error("the whole file is said to be cut short")
	}
	// (The error then says the last box, mdat, is cut too.)
	for _, n := range []int{len(data) - 1, len(data) / 3} {
		if m, err := ReadHEIFMeta(bytes.NewReader(data[:n]), int64(n)); !m.Cut {
			t.Errorf("cut to %d of %d bytes: not said to be cut (%v)", n, len(data), err)
		}
	}
}

func TestUprightEXIF(t *testing.T) {
	type byteOrder interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		// IFD0 with Orientation 6 and Make.
		b := []byte("II*\x00")
		if order.String() == binary.BigEndian.String() {
			b = []byte("MM\x00*")
		}
		b = order.AppendUint32(b, 8)
		b = order.AppendUint16(b, 2)
		b = order.AppendUint16(b, tagOrientation)
		b = order.AppendUint16(b, 3)
		b = order.AppendUint32(b, 1)
		b = order.AppendUint16(b, 6)
		b = order.AppendUint16(b, 0)
		b = order.AppendUint16(b, tagMake)
		b = order.AppendUint16(b, 2)
		b = order.AppendUint32(b, 4)
		b = append(b, "App\x00"...)
		b = order.AppendUint32(b, 0)
		up, err := UprightEXIF(b)
		if err != nil {
			t.Fatal(err)
		}
		tags, _ := ifd(up, 8, order)
		if got := order.Uint16(tags[tagOrientation].val); got != 1 || string(tags[tagMake].val) != "App\x00" {
			t.Errorf("%v: orientation %d, make %q", order, got, tags[tagMake].val)
		}
		if orig, _ := ifd(b, 8, order); order.Uint16(orig[tagOrientation].val) != 6 {
			t.Error("the original block was changed")
		}
	}
	if _, err := UprightEXIF([]byte("not tiff")); err == nil {
		t.Error("garbage accepted")
	}
}

func FuzzHEIFMeta(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join(corpus, "iphone15pro-ios26.heic")); err == nil {
		f.Add(data[:min(len(data), 8192)])
	}
	f.Add([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic\x00\x00\x00\x0cmeta\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _ := ReadHEIFMeta(bytes.NewReader(b), int64(len(b)))
		if m.EXIF != nil {
			UprightEXIF(m.EXIF)
		}
	})
}
