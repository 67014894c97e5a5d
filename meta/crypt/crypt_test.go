package crypt_test

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/crypt"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// RFC 3394 section 4's test vectors.
func TestKeyWrapRFC3394(t *testing.T) {
	for _, v := range []struct{ kek, key, wrapped string }{
		{"000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF", "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"},
		{"000102030405060708090A0B0C0D0E0F1011121314151617", "00112233445566778899AABBCCDDEEFF", "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D"},
		{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
		{"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
			"28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
	} {
		got, err := crypt.Wrap(unhex(v.kek), unhex(v.key))
		if err != nil || !bytes.Equal(got, unhex(v.wrapped)) {
			t.Errorf("crypt.Wrap(%s) = %X, %v; want %s", v.kek, got, err, v.wrapped)
		}
		key, err := crypt.Unwrap(unhex(v.kek), unhex(v.wrapped))
		if err != nil || !bytes.Equal(key, unhex(v.key)) {
			t.Errorf("crypt.Unwrap(%s) = %X, %v; want %s", v.kek, key, err, v.key)
		}
	}
	bad := unhex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
	bad[3] ^= 1
	if _, err := crypt.Unwrap(unhex("000102030405060708090A0B0C0D0E0F"), bad); !errors.Is(err, crypt.ErrIntegrity) {
		t.Errorf("a damaged wrap: %v, want ErrIntegrity", err)
	}
}

// keybag writes a test keybag (fixture.Keybag), failing the test on error.
func keybag(t *testing.T, password string, iter, dpic int, classKeys map[uint32][]byte) []byte {
	t.Helper()
	b, err := fixture.Keybag(password, iter, dpic, classKeys)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeybag(t *testing.T) {
	classKeys := map[uint32][]byte{3: bytes.Repeat([]byte{0x33}, 32), 4: bytes.Repeat([]byte{0x44}, 32)}
	password := "correct horse! ünïcode" // a space, '!' and non-ASCII letters, as UTF-8
	for _, dpsl := range []bool{true, false} {
		dpic := 0
		if dpsl {
			dpic = 1000
		}
		kb, err := crypt.Parse(keybag(t, password, 1000, dpic, classKeys))
		if err != nil {
			t.Fatal(err)
		}
		if len(kb.Classes) != 2 || (len(kb.DPSL) > 0) != dpsl {
			t.Fatalf("parsed %d classes, DPSL %x", len(kb.Classes), kb.DPSL)
		}
		key, err := kb.DeriveKey([]byte(password))
		if err != nil {
			t.Fatal(err)
		}
		if err := kb.Unlock(key); err != nil {
			t.Fatalf("dpsl %v: %v", dpsl, err)
		}
		fileKey := bytes.Repeat([]byte{0xfe}, 32)
		wrapped, _ := crypt.Wrap(classKeys[4], fileKey)
		got, err := kb.UnwrapKey(append(binary.LittleEndian.AppendUint32(nil, 4), wrapped...))
		if err != nil || !bytes.Equal(got, fileKey) {
			t.Errorf("file key: %x %v", got, err)
		}
		if _, err := kb.UnwrapKey(append(binary.LittleEndian.AppendUint32(nil, 2), wrapped...)); err == nil {
			t.Error("a class the keybag lacks must be an error")
		}

		wrong, _ := kb.DeriveKey([]byte("correct horse! unicode"))
		if err := kb.Unlock(wrong); !errors.Is(err, crypt.ErrWrongPassword) {
			t.Errorf("wrong password: %v", err)
		}
	}
}

// The real counts: 10,000,000 SHA-256 rounds, then 10,000 SHA-1 rounds
// (a couple of seconds).
func TestRealIterationCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	classKeys := map[uint32][]byte{3: bytes.Repeat([]byte{3}, 32)}
	kb, err := crypt.Parse(keybag(t, "real", 10000, 10_000_000, classKeys))
	if err != nil {
		t.Fatal(err)
	}
	if kb.DPIC != 10_000_000 || kb.Iterations != 10000 {
		t.Fatalf("DPIC %d ITER %d", kb.DPIC, kb.Iterations)
	}
	key, err := kb.DeriveKey([]byte("real"))
	if err != nil {
		t.Fatal(err)
	}
	if err := kb.Unlock(key); err != nil {
		t.Fatal(err)
	}
}

func encrypt(_ testing.TB, key, plain []byte) []byte { return fixture.EncryptCBC(key, plain) }

func TestCBCReaderRandomAccess(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	plain := make([]byte, 100_003)
	for i := range plain {
		plain[i] = byte(i * 7)
	}
	enc := encrypt(t, key, plain)
	if int64(len(enc)) != crypt.CiphertextSize(int64(len(plain))) {
		t.Fatalf("ciphertext %d bytes, CiphertextSize says %d", len(enc), crypt.CiphertextSize(int64(len(plain))))
	}
	c, err := crypt.NewCBCReader(bytes.NewReader(enc), key, int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		off := rng.Int64N(int64(len(plain)) + 10)
		buf := make([]byte, rng.IntN(9000)+1)
		before := c.Blocks.Load()
		n, err := c.ReadAt(buf, off)
		want := plain[min(off, int64(len(plain))):min(off+int64(len(buf)), int64(len(plain)))]
		if !bytes.Equal(buf[:n], want) || (n < len(buf) && err != io.EOF) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", off, len(buf), n, err)
		}
		if extra := c.Blocks.Load() - before - int64((n+aes.BlockSize-1)/aes.BlockSize); n > 0 && extra > 1 {
			t.Fatalf("read of %d at %d decrypted %d blocks more than it returns", n, off, extra)
		}
	}
	// A payload cut short serves what it holds, then says so.
	short, _ := crypt.NewCBCReader(bytes.NewReader(enc[:4096]), key, int64(len(plain)))
	buf := make([]byte, 8192)
	n, err := short.ReadAt(buf, 0)
	if n != 4096 || !bytes.Equal(buf[:n], plain[:n]) || !errors.Is(err, crypt.ErrShortPayload) {
		t.Errorf("short payload: %d bytes, %v", n, err)
	}
}

func FuzzKeybag(f *testing.F) {
	var b []byte
	rec := func(tag string, v []byte) {
		b = append(append(append(b, tag...), binary.BigEndian.AppendUint32(nil, uint32(len(v)))...), v...)
	}
	rec("UUID", make([]byte, 16))
	rec("SALT", make([]byte, 20))
	rec("ITER", []byte{0, 0, 0, 1})
	rec("UUID", make([]byte, 16))
	rec("CLAS", []byte{0, 0, 0, 3})
	rec("WRAP", []byte{0, 0, 0, 2})
	rec("WPKY", make([]byte, 40))
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		kb, err := crypt.Parse(data)
		if err != nil {
			return
		}
		kb.Unlock(make([]byte, 32))
		kb.UnwrapKey(data)
	})
}

func FuzzCBCReader(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	f.Add(encrypt(f, key, []byte("hello, encrypted world")), int64(22), int64(3), 10)
	f.Fuzz(func(t *testing.T, enc []byte, size, off int64, n int) {
		if n < 0 || n > 1<<16 || size < 0 {
			return
		}
		c, err := crypt.NewCBCReader(bytes.NewReader(enc), key, size)
		if err != nil {
			t.Fatal(err)
		}
		c.ReadAt(make([]byte, n), off)
	})
}

// BenchmarkCBCRead reads a 64 MiB encrypted payload in 128 KiB pieces (the
// FUSE read size), side by side with reading the plaintext (its physical
// reference: a copy out of memory).
func BenchmarkCBCRead(b *testing.B) {
	key := bytes.Repeat([]byte{0x42}, 32)
	plain := bytes.Repeat([]byte("0123456789abcdef"), 4<<20)
	enc := encrypt(b, key, plain)
	buf := make([]byte, 128<<10)
	b.Run("decrypt", func(b *testing.B) {
		c, _ := crypt.NewCBCReader(bytes.NewReader(enc), key, int64(len(plain)))
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			for off := int64(0); off < int64(len(plain)); off += int64(len(buf)) {
				c.ReadAt(buf, off)
			}
		}
	})
	b.Run("plaintext", func(b *testing.B) {
		r := bytes.NewReader(plain)
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			for off := int64(0); off < int64(len(plain)); off += int64(len(buf)) {
				r.ReadAt(buf, off)
			}
		}
	})
}

func TestDecryptWhole(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	for _, size := range []int{0, 15, 16, 17, 4<<20 + 5, 9<<20 + 31} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(i * 13)
		}
		enc := encrypt(t, key, plain)
		for _, workers := range []int{1, 2, 3} {
			var out bytes.Buffer
			if err := crypt.Decrypt(&out, bytes.NewReader(enc), key, int64(len(enc)), workers); err != nil {
				t.Fatal(err)
			}
			got := out.Bytes()
			if len(got) != len(enc) || !bytes.Equal(got[:size], plain) {
				t.Errorf("size %d, %d workers: plaintext differs", size, workers)
			}
		}
	}
	if err := crypt.Decrypt(io.Discard, bytes.NewReader(make([]byte, 17)), key, 17, 2); err == nil {
		t.Error("a ciphertext of 17 bytes must be refused")
	}
}

func TestPlainSize(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	for n := 0; n <= 70; n++ {
		enc := encrypt(t, key, bytes.Repeat([]byte{'x'}, n))
		if got, err := crypt.PlainSize(bytes.NewReader(enc), key, int64(len(enc))); got != int64(n) || err != nil {
			t.Errorf("%d plaintext bytes: PlainSize = %d, %v", n, got, err)
		}
		// Cut short: the whole blocks left are what decrypts.
		for _, cut := range []int{1, 16, 17} {
			if cut >= len(enc) {
				continue
			}
			short := enc[:len(enc)-cut]
			want := int64(len(short) - len(short)%16)
			got, err := crypt.PlainSize(bytes.NewReader(short), key, int64(len(short)))
			// A cut at a block boundary may leave a block that happens to end
			// in valid padding: at most 16 bytes fewer.
			if err != nil || got > want || got < want-16 {
				t.Errorf("%d bytes cut by %d: PlainSize = %d, %v; want about %d", n, cut, got, err, want)
			}
		}
	}
}

func FuzzPlainSize(f *testing.F) {
	key := bytes.Repeat([]byte{1}, 32)
	f.Add(encrypt(f, key, []byte("hello, encrypted world")), int64(32))
	f.Fuzz(func(t *testing.T, enc []byte, sealed int64) {
		if sealed < 0 || sealed > 1<<20 {
			return
		}
		got, err := crypt.PlainSize(bytes.NewReader(enc), key, sealed)
		if err == nil && (got < 0 || got > sealed) {
			t.Fatalf("PlainSize = %d of %d sealed bytes", got, sealed)
		}
	})
}
