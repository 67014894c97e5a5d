package crypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// The AES-NI path must agree with the standard library on every length
// and key size (the S-box, key schedule and the eight-way loop).
func TestDecrypterMatchesStdlib(t *testing.T) {
	if sbox[0] != 0x63 || sbox[0x53] != 0xed || sbox[0xff] != 0x16 {
		t.Fatalf("S-box wrong: %#x %#x %#x", sbox[0], sbox[0x53], sbox[0xff])
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, keyLen := range []int{16, 24, 32} {
		for _, blocks := range []int{1, 2, 7, 8, 9, 15, 16, 17, 100} {
			key := make([]byte, keyLen)
			iv := make([]byte, aes.BlockSize)
			data := make([]byte, blocks*aes.BlockSize)
			for _, b := range [][]byte{key, iv, data} {
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
			}
			want := append([]byte(nil), data...)
			block, _ := aes.NewCipher(key)
			cipher.NewCBCDecrypter(block, iv).CryptBlocks(want, want)
			d, err := newDecrypter(key)
			if err != nil {
				t.Fatal(err)
			}
			got := append([]byte(nil), data...)
			d.cbc(iv, got)
			if !bytes.Equal(got, want) {
				t.Fatalf("key %d bytes, %d blocks (AES-NI %v): differs from crypto/cipher", keyLen, blocks, d.dk != nil)
			}
		}
	}
	if !hasAESNI {
		t.Log("no AES-NI here: only the fallback was checked")
	}
}
