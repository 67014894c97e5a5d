//go:build !purego

package crypt

import "golang.org/x/sys/cpu"

// hasAESNI: the CPU decrypts AES in hardware; decryptECB may be used.
var hasAESNI = cpu.X86.HasAES

//go:noescape
func decryptECB(nr int, dk *byte, dst, src *byte, n int)

// decryptionKeys expands an AES-128 or AES-256 key in the AES unit
// (AESKEYGENASSIST: no table lookup depends on key bytes, unlike a
// software S-box) and turns the round keys into those of the equivalent
// inverse cipher (FIPS 197 section 5.3.5), the form AESDEC takes: reversed,
// with InvMixColumns (AESIMC) on all but the ends. Other key sizes (iOS
// uses none) get nil: the standard library decrypts them.
func decryptionKeys(key []byte) (int, []byte) {
	nr := len(key)/4 + 6
	enc := make([]byte, 16*(nr+1))
	defer clear(enc)
	switch len(key) {
	case 16:
		expandKey128(&key[0], &enc[0])
	case 32:
		expandKey256(&key[0], &enc[0])
	default:
		return 0, nil
	}
	dk := make([]byte, len(enc))
	for r := range nr + 1 {
		copy(dk[16*r:16*(r+1)], enc[16*(nr-r):])
	}
	invMixColumns(&dk[16], nr-1)
	return nr, dk
}

//go:noescape
func expandKey128(key, enc *byte)

//go:noescape
func expandKey256(key, enc *byte)

//go:noescape
func invMixColumns(keys *byte, n int)
