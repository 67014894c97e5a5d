// Package crypt holds what encrypted iPhone backups need: the backup
// keybag (Manifest.plist BackupKeyBag), the password-to-key derivation,
// AES key unwrapping (RFC 3394) of class, manifest and file keys, and
// random-access AES-256-CBC reading of payloads (FORMATS.md 1.9).
package crypt

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrWrongPassword is returned when the derived key does not unwrap the
// class keys: the RFC 3394 integrity check is the only way to tell.
var ErrWrongPassword = errors.New("wrong password for this backup")

// Class is one protection class of a keybag.
type Class struct {
	Class uint32 // CLAS, masked to its low 4 bits
	Wrap  uint32 // WRAP: 2 means wrapped with the password-derived key
	Type  uint32 // KTYP: 0 AES, 1 Curve25519 (not supported)
	WPKY  []byte // the wrapped key
	key   []byte // unwrapped by Unlock
}

// Keybag is a parsed backup keybag.
type Keybag struct {
	Version, Type uint32
	UUID          []byte
	Wrap          uint32
	Salt          []byte // SALT: the SHA-1 PBKDF2 round
	Iterations    uint32 // ITER
	DPSL          []byte // the SHA-256 PBKDF2 round (iOS 10.2+); absent before
	DPIC          uint32
	Classes       map[uint32]*Class
}

// Parse reads a keybag: TLV records (4-byte tag, big-endian uint32 length,
// value); the first UUID is the keybag's, each later one starts a class.
func Parse(b []byte) (*Keybag, error) {
	k := &Keybag{Classes: map[uint32]*Class{}}
	var cur *Class
	for len(b) > 0 {
		if len(b) < 8 {
			return nil, errors.New("keybag: truncated record")
		}
		tag, n := string(b[:4]), binary.BigEndian.Uint32(b[4:8])
		if uint64(n) > uint64(len(b)-8) {
			return nil, fmt.Errorf("keybag: %q runs past the end", tag)
		}
		v := b[8 : 8+n]
		b = b[8+n:]
		num := func() uint32 {
			if len(v) == 4 {
				return binary.BigEndian.Uint32(v)
			}
			return 0
		}
		switch tag {
		case "UUID":
			if k.UUID == nil {
				k.UUID = v
				continue
			}
			if cur != nil {
				k.addClass(cur)
			}
			cur = &Class{}
		case "CLAS":
			if cur != nil {
				cur.Class = num() & 0xf
			}
		case "WRAP":
			if cur != nil {
				cur.Wrap = num()
			} else {
				k.Wrap = num()
			}
		case "KTYP":
			if cur != nil {
				cur.Type = num()
			}
		case "WPKY":
			if cur != nil {
				cur.WPKY = v
			}
		case "VERS":
			k.Version = num()
		case "TYPE":
			k.Type = num()
		case "SALT":
			k.Salt = v
		case "ITER":
			k.Iterations = num()
		case "DPSL":
			k.DPSL = v
		case "DPIC":
			k.DPIC = num()
		}
	}
	if cur != nil {
		k.addClass(cur)
	}
	if len(k.Salt) == 0 || k.Iterations == 0 {
		return nil, errors.New("keybag: no SALT or ITER")
	}
	if len(k.Classes) == 0 {
		return nil, errors.New("keybag: no class keys")
	}
	return k, nil
}

func (k *Keybag) addClass(c *Class) {
	if c.WPKY != nil {
		k.Classes[c.Class] = c
	}
}

// DeriveKey turns the backup password (its UTF-8 bytes) into the key that
// unwraps the class keys: PBKDF2-HMAC-SHA256 over DPSL/DPIC when the
// keybag has them (iOS 10.2+), then PBKDF2-HMAC-SHA1 over SALT/ITER.
// With iOS 10.2's 10,000,000 rounds this takes a couple of seconds.
func (k *Keybag) DeriveKey(password []byte) ([]byte, error) {
	key := password
	if len(k.DPSL) > 0 && k.DPIC > 0 {
		var err error
		if key, err = pbkdf2.Key(sha256.New, string(password), k.DPSL, int(k.DPIC), 32); err != nil {
			return nil, err
		}
	}
	return pbkdf2.Key(sha1.New, string(key), k.Salt, int(k.Iterations), 32)
}

// Unlock unwraps the class keys wrapped with the derived key. A failed
// integrity check on any of them means the password is wrong.
func (k *Keybag) Unlock(key []byte) error {
	for _, c := range k.Classes {
		if c.Wrap&2 == 0 || c.Type == 1 {
			continue
		}
		u, err := Unwrap(key, c.WPKY)
		if errors.Is(err, ErrIntegrity) {
			return ErrWrongPassword
		}
		if err != nil {
			return fmt.Errorf("keybag: class %d: %w", c.Class, err)
		}
		c.key = u
	}
	return nil
}

// UnwrapKey unwraps a file's or the manifest's key: an EncryptionKey or
// ManifestKey is a little-endian uint32 class followed by the wrapped key.
func (k *Keybag) UnwrapKey(wrapped []byte) ([]byte, error) {
	if len(wrapped) < 4+24 {
		return nil, errors.New("keybag: wrapped key too short")
	}
	class := binary.LittleEndian.Uint32(wrapped) & 0xf
	c := k.Classes[class]
	switch {
	case c == nil:
		return nil, fmt.Errorf("keybag: no key for protection class %d", class)
	case c.Type == 1:
		return nil, fmt.Errorf("keybag: protection class %d uses Curve25519 keys, which are not supported", class)
	case c.key == nil:
		return nil, fmt.Errorf("keybag: protection class %d is locked", class)
	}
	return Unwrap(c.key, wrapped[4:])
}
