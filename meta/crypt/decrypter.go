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
		d.nr, d.dk = decryptionKeys(key) // nil for a key size it does not expand
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
