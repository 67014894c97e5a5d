package crypt

import (
	"crypto/aes"
	"encoding/binary"
	"errors"
)

// ErrIntegrity is an RFC 3394 unwrap whose check value is wrong: the
// wrapping key is not the one used to wrap.
var ErrIntegrity = errors.New("aes key unwrap: integrity check failed")

// defaultIV is RFC 3394's initial value.
const defaultIV = 0xa6a6a6a6a6a6a6a6

// Unwrap undoes RFC 3394 AES key wrapping (kek of 16, 24 or 32 bytes;
// wrapped of 24 bytes or more, in 8-byte blocks).
func Unwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 24 || len(wrapped)%8 != 0 {
		return nil, errors.New("aes key unwrap: bad length")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(wrapped)/8 - 1
	a := binary.BigEndian.Uint64(wrapped)
	r := make([]byte, n*8)
	copy(r, wrapped[8:])
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(buf[:8], a^uint64(n*j+i))
			copy(buf[8:], r[(i-1)*8:i*8])
			block.Decrypt(buf[:], buf[:])
			a = binary.BigEndian.Uint64(buf[:8])
			copy(r[(i-1)*8:], buf[8:])
		}
	}
	if a != defaultIV {
		return nil, ErrIntegrity
	}
	return r, nil
}

// Wrap is RFC 3394 AES key wrapping, the inverse of Unwrap (the test
// fixtures encrypt backups with it).
func Wrap(kek, key []byte) ([]byte, error) {
	if len(key) < 16 || len(key)%8 != 0 {
		return nil, errors.New("aes key wrap: bad length")
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	n := len(key) / 8
	a := uint64(defaultIV)
	r := append([]byte(nil), key...)
	var buf [16]byte
	for j := 0; j <= 5; j++ {
		for i := 1; i <= n; i++ {
			binary.BigEndian.PutUint64(buf[:8], a)
			copy(buf[8:], r[(i-1)*8:i*8])
			block.Encrypt(buf[:], buf[:])
			a = binary.BigEndian.Uint64(buf[:8]) ^ uint64(n*j+i)
			copy(r[(i-1)*8:], buf[8:])
		}
	}
	return append(binary.BigEndian.AppendUint64(nil, a), r...), nil
}
