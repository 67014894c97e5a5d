package backup

import (
	"encoding/hex"
	"testing"
)

// FuzzPayloadID checks the payload name reader against the slow way:
// exactly 40 lowercase hex digits, decoded.
func FuzzPayloadID(f *testing.F) {
	for _, s := range []string{
		"3d0d7e5fb2ce288813306e4d4636395e047a3d28", "3D0D7E5FB2CE288813306E4D4636395E047A3D28",
		"3d0d7e5fb2ce288813306e4d4636395e047a3d2", "3d0d7e5fb2ce288813306e4d4636395e047a3d2g", "Manifest.db", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := payloadID(s)
		var want ID
		wantOK := isHexID(s)
		if wantOK {
			_, err := hex.Decode(want[:], []byte(s))
			wantOK = err == nil
		}
		if ok != wantOK || (ok && id != want) {
			t.Errorf("payloadID(%q) = %x, %v; want %x, %v", s, id, ok, want, wantOK)
		}
	})
}
