package crypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// The AES-NI path must agree with the standard library on every length
// and key size (the key schedule and the eight-way loop).
func TestDecrypterMatchesStdlib(t *testing.T) {
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
			if hasAESNI && keyLen != 24 && d.dk == nil {
				t.Fatalf("key %d bytes: AES-NI not used", keyLen)
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

// FuzzDecrypterMatchesStdlib compares the AES-NI path (key schedule and
// eight-way loop) with crypto/cipher over any key, ciphertext length, read
// offset and length, and alignment of the buffers in memory: whole, and
// through CBCReader as payloads are read.
func FuzzDecrypterMatchesStdlib(f *testing.F) {
	f.Add(uint8(2), uint64(1), uint16(1000), uint16(3), uint16(200), uint8(5), uint8(7))
	f.Add(uint8(0), uint64(2), uint16(127), uint16(0), uint16(128), uint8(0), uint8(1))
	f.Add(uint8(1), uint64(3), uint16(40), uint16(17), uint16(9), uint8(15), uint8(0))
	f.Fuzz(func(t *testing.T, keySize uint8, seed uint64, size, off, n uint16, srcAlign, dstAlign uint8) {
		rng := rand.New(rand.NewPCG(seed, 0))
		key := make([]byte, []int{16, 24, 32}[keySize%3])
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
		sealed := int(CiphertextSize(int64(size)))
		src := make([]byte, int(srcAlign%16)+sealed)[srcAlign%16:]
		for i := range src {
			src[i] = byte(rng.Uint32())
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		zero := make([]byte, aes.BlockSize)
		want := make([]byte, sealed)
		cipher.NewCBCDecrypter(block, zero).CryptBlocks(want, src)

		d, err := newDecrypter(key)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, int(dstAlign%16)+sealed)[dstAlign%16:]
		d.cbcTo(got, zero, src)
		if !bytes.Equal(got, want) {
			t.Fatalf("key %d bytes, %d blocks, alignments %d/%d: differs from crypto/cipher", len(key), sealed/16, srcAlign%16, dstAlign%16)
		}

		c, err := NewCBCReader(bytes.NewReader(src), key, int64(size))
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, int(dstAlign%16)+int(n))[dstAlign%16:]
		k, _ := c.ReadAt(p, int64(off))
		end := min(int(off)+int(n), int(size))
		if wantN := max(end-int(off), 0); k != wantN || !bytes.Equal(p[:k], want[min(int(off), end):end]) {
			t.Fatalf("ReadAt(%d bytes at %d) of %d: %d bytes, differing from crypto/cipher", n, off, size, k)
		}
	})
}
