package photos

import (
	"encoding/binary"
	"testing"
	"time"

	"howett.net/plist"
)

func TestFromXattrs(t *testing.T) {
	date, _ := plist.Marshal(time.Date(2021, 1, 17, 16, 44, 1, 0, time.UTC), plist.BinaryFormat)
	no, _ := plist.Marshal(false, plist.BinaryFormat)
	zero, _ := plist.Marshal(0, plist.BinaryFormat)
	yes, _ := plist.Marshal(true, plist.BinaryFormat)
	x := FromXattrs(map[string][]byte{
		"com.apple.assetsd.customCreationDate": date,
		"com.apple.assetsd.timeZoneOffset":     binary.LittleEndian.AppendUint32(nil, 3600),
		"com.apple.assetsd.originalFilename":   []byte("IMG_0034.PNG\x00"),
		"com.apple.assetsd.mediaGroupUUID":     []byte("G-1"),
		"com.apple.assetsd.trashed":            no,
		"com.apple.assetsd.hidden":             zero,
	})
	if x.Created.Format(time.RFC3339) != "2021-01-17T17:44:01+01:00" || !x.HasOffset || x.OriginalFilename != "IMG_0034.PNG" ||
		x.MediaGroup != "G-1" || x.Trashed || x.Hidden {
		t.Errorf("%+v", x)
	}
	for _, b := range [][]byte{yes, {1}, []byte("1")} {
		if !FromXattrs(map[string][]byte{"com.apple.assetsd.hidden": b}).Hidden {
			t.Errorf("hidden %q not read as true", b)
		}
	}
	for _, b := range [][]byte{no, zero, {0}, []byte("0")} {
		if FromXattrs(map[string][]byte{"com.apple.assetsd.trashed": b}).Trashed {
			t.Errorf("trashed %q read as true", b)
		}
	}
}

func FuzzFromXattrs(f *testing.F) {
	date, _ := plist.Marshal(time.Unix(1e9, 0), plist.BinaryFormat)
	f.Add(date, []byte{0x10, 0x0e, 0, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		FromXattrs(map[string][]byte{"com.apple.assetsd.customCreationDate": a, "com.apple.assetsd.timeZoneOffset": b,
			"com.apple.assetsd.trashed": a, "com.apple.assetsd.originalFilename": b})
	})
}
