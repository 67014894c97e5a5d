package crypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
)

// decrypter decrypts AES-CBC in place. The standard library decrypts one
// block per call on amd64 (about 0.5 GB/s here); with AES-NI we decrypt
// eight blocks at a time in assembly, so their latencies overlap.
type decrypter struct {
	block cipher.Block
	nr    int    // rounds: 10, 12 or 14
	dk    []byte // (nr+1) decryption round keys for AES-NI; nil without it
}

func newDecrypter(key []byte) (*decrypter, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	d := &decrypter{block: block}
	if hasAESNI {
		d.nr, d.dk = decryptionKeys(key)
	}
	return d, nil
}

// cbc decrypts data (whole blocks) in place; iv is the ciphertext block
// before it (zeros for the first block of a file).
func (d *decrypter) cbc(iv, data []byte) {
	if d.dk == nil || len(data) == 0 {
		cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(data, data)
		return
	}
	bp := getBuf(len(data))
	defer putBuf(bp)
	d.cbcTo(*bp, iv, data)
	copy(data, *bp)
}

// cbcTo decrypts src (whole blocks) into dst, which must not overlap it.
func (d *decrypter) cbcTo(dst, iv, src []byte) {
	if d.dk == nil || len(src) == 0 {
		cipher.NewCBCDecrypter(d.block, iv).CryptBlocks(dst[:len(src)], src)
		return
	}
	dst = dst[:len(src)]
	decryptECB(d.nr, &d.dk[0], &dst[0], &src[0], len(src)/aes.BlockSize)
	// Each block is then XORed with the ciphertext block before it.
	subtle.XORBytes(dst[:aes.BlockSize], dst[:aes.BlockSize], iv)
	subtle.XORBytes(dst[aes.BlockSize:], dst[aes.BlockSize:], src[:len(src)-aes.BlockSize])
}

// decryptionKeys expands an AES key (FIPS 197 section 5.2) and turns the
// round keys into those of the equivalent inverse cipher (section 5.3.5),
// the form AESDEC takes: reversed, with InvMixColumns on all but the ends.
func decryptionKeys(key []byte) (int, []byte) {
	nk := len(key) / 4
	nr := nk + 6
	w := make([]byte, 16*(nr+1))
	copy(w, key)
	rcon := byte(1)
	for i := nk; i < 4*(nr+1); i++ {
		var t [4]byte
		copy(t[:], w[4*(i-1):4*i])
		switch {
		case i%nk == 0:
			t = [4]byte{sbox[t[1]] ^ rcon, sbox[t[2]], sbox[t[3]], sbox[t[0]]}
			rcon = xtime(rcon)
		case nk > 6 && i%nk == 4:
			t = [4]byte{sbox[t[0]], sbox[t[1]], sbox[t[2]], sbox[t[3]]}
		}
		for j := range 4 {
			w[4*i+j] = w[4*(i-nk)+j] ^ t[j]
		}
	}
	dk := make([]byte, len(w))
	for r := 0; r <= nr; r++ {
		rk := w[16*(nr-r) : 16*(nr-r+1)]
		out := dk[16*r : 16*(r+1)]
		if r == 0 || r == nr {
			copy(out, rk)
			continue
		}
		for c := 0; c < 16; c += 4 {
			a0, a1, a2, a3 := rk[c], rk[c+1], rk[c+2], rk[c+3]
			out[c] = mul(a0, 14) ^ mul(a1, 11) ^ mul(a2, 13) ^ mul(a3, 9)
			out[c+1] = mul(a0, 9) ^ mul(a1, 14) ^ mul(a2, 11) ^ mul(a3, 13)
			out[c+2] = mul(a0, 13) ^ mul(a1, 9) ^ mul(a2, 14) ^ mul(a3, 11)
			out[c+3] = mul(a0, 11) ^ mul(a1, 13) ^ mul(a2, 9) ^ mul(a3, 14)
		}
	}
	return nr, dk
}

// xtime multiplies by x in GF(2^8) with AES's polynomial.
func xtime(b byte) byte {
	if b&0x80 != 0 {
		return b<<1 ^ 0x1b
	}
	return b << 1
}

func mul(a, b byte) byte {
	var p byte
	for ; b > 0; b >>= 1 {
		if b&1 != 0 {
			p ^= a
		}
		a = xtime(a)
	}
	return p
}

// sbox is AES's S-box, computed: the multiplicative inverse in GF(2^8)
// followed by the affine map.
var sbox = func() (s [256]byte) {
	for x := range 256 {
		inv := byte(0)
		for y := 1; y < 256 && x != 0; y++ {
			if mul(byte(x), byte(y)) == 1 {
				inv = byte(y)
				break
			}
		}
		b := inv
		s[x] = b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4) ^ 0x63
	}
	return s
}()

func rotl(b byte, n uint) byte { return b<<n | b>>(8-n) }
