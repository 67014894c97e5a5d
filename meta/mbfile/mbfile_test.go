package mbfile_test

import (
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/mbfile"
	"howett.net/plist"
)

func TestDecodeFixtureRow(t *testing.T) {
	e := &fixture.Entry{
		Domain: "HomeDomain", Path: "Library/SMS/sms.db", Flags: fixture.FlagFile, Data: []byte("12345"),
		MTime: 1638501497, CTime: 1638559914, Birth: 1566918489,
		Xattrs: map[string][]byte{
			"com.apple.assetsd.timeZoneName": []byte("Europe/Berlin"),
			"com.apple.quarantine":           []byte("not a photo attribute"),
		},
	}
	blob, err := fixture.MBFile(e)
	if err != nil {
		t.Fatal(err)
	}
	f, err := new(mbfile.Decoder).Decode(blob)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != 5 || f.Mode != 0o100644 || f.LastModified != 1638501497 || f.LastStatusChange != 1638559914 ||
		f.Birth != 1566918489 {
		t.Errorf("decoded %+v", f)
	}
	if got := string(f.PhotoXattrs["com.apple.assetsd.timeZoneName"]); got != "Europe/Berlin" || len(f.PhotoXattrs) != 1 {
		t.Errorf("PhotoXattrs = %q", f.PhotoXattrs)
	}
}

func TestSymlinkTarget(t *testing.T) {
	e := &fixture.Entry{Domain: "RootDomain", Path: "l", Flags: fixture.FlagSymlink, Target: "/var/db/timezone/zoneinfo/Europe/London"}
	blob, err := fixture.MBFile(e)
	if err != nil {
		t.Fatal(err)
	}
	f, err := new(mbfile.Decoder).Decode(blob)
	if err != nil || f.Target != e.Target || f.Mode != 0o120755 {
		t.Errorf("got %+v, %v", f, err)
	}
}

// archive builds a keyed archive with the root at objects[root].
func archive(t testing.TB, root int, objects ...any) []byte {
	t.Helper()
	b, err := plist.Marshal(map[string]any{
		"$archiver": "NSKeyedArchiver", "$version": 100000,
		"$top": map[string]any{"root": plist.UID(root)}, "$objects": objects,
	}, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndirections(t *testing.T) {
	// Root not at index 1; ExtendedAttributes as {NS.data: UID -> data}; Target as {NS.string: ...}.
	xattrs := mustPlist(t, map[string]any{"com.apple.assetsd.UUID": []byte("u")})
	blob := archive(t, 2,
		"$null",
		xattrs,
		map[string]any{"Size": 10, "LastModified": 5, "ExtendedAttributes": plist.UID(3), "Target": plist.UID(4)},
		map[string]any{"NS.data": plist.UID(1)},
		map[string]any{"NS.string": "a/b"},
	)
	f, err := new(mbfile.Decoder).Decode(blob)
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != 10 || f.LastModified != 5 || string(f.PhotoXattrs["com.apple.assetsd.UUID"]) != "u" || f.Target != "a/b" {
		t.Errorf("got %+v", f)
	}
}

func TestDamage(t *testing.T) {
	cases := map[string][]byte{
		"not a plist":       []byte("hello"),
		"no objects":        mustPlist(t, map[string]any{"$top": map[string]any{"root": plist.UID(1)}}),
		"root out of range": archive(t, 9, "$null"),
		"uid cycle":         archive(t, 1, "$null", plist.UID(1)),
		"size is a string":  archive(t, 1, "$null", map[string]any{"Size": "big"}),
	}
	for name, b := range cases {
		if _, err := new(mbfile.Decoder).Decode(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func mustPlist(t testing.TB, v any) []byte {
	b, err := plist.Marshal(v, plist.BinaryFormat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecode(f *testing.F) {
	for _, e := range []fixture.Entry{
		{Domain: "D", Path: "p", Flags: fixture.FlagFile, Data: []byte("x"), Xattrs: map[string][]byte{"com.apple.assetsd.UUID": []byte("u")}},
		{Domain: "D", Path: "l", Flags: fixture.FlagSymlink, Target: "/t"},
	} {
		blob, err := fixture.MBFile(&e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blob)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		new(mbfile.Decoder).Decode(b)
	})
}

func BenchmarkDecode(b *testing.B) {
	e := &fixture.Entry{Domain: "HomeDomain", Path: "Library/SMS/sms.db", Flags: fixture.FlagFile, Data: []byte("12345"), MTime: 1}
	blob, err := fixture.MBFile(e)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ours", func(b *testing.B) {
		var d mbfile.Decoder // as a build's decoders do: one for many rows
		for b.Loop() {
			if _, err := d.Decode(blob); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The generic decoder, for comparison: why meta/bplist exists.
	b.Run("howett-plist", func(b *testing.B) {
		for b.Loop() {
			var v map[string]any
			if _, err := plist.Unmarshal(blob, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
