//go:build !amd64 || purego

package crypt

// Elsewhere the standard library's AES is used block by block.
const hasAESNI = false

func decryptECB(nr int, dk *byte, dst, src *byte, n int) { panic("crypt: no AES-NI") }

func decryptionKeys(key []byte) (int, []byte) { return 0, nil }
