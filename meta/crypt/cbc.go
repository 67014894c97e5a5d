package crypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// CBCReader reads an AES-256-CBC encrypted payload (zero IV, PKCS#7
// padding) at any offset, decrypting only the blocks a read covers: the
// ciphertext block before each one is its IV (FORMATS.md 1.9.6).
type CBCReader struct {
	r    io.ReaderAt
	dec  *decrypter
	size int64 // plaintext size: reads stop there
	// Blocks counts the 16-byte blocks decrypted, for benchmarks.
	Blocks atomic.Int64
}

// ErrShortPayload is a payload with fewer encrypted bytes than its size needs.
var ErrShortPayload = errors.New("encrypted payload shorter than its size")

// NewCBCReader reads the first size plaintext bytes of r, encrypted with key.
func NewCBCReader(r io.ReaderAt, key []byte, size int64) (*CBCReader, error) {
	dec, err := newDecrypter(key)
	if err != nil {
		return nil, err
	}
	return &CBCReader{r: r, dec: dec, size: size}, nil
}

// CiphertextSize is how many bytes a payload of size plaintext bytes
// takes: PKCS#7 always adds 1-16 bytes.
func CiphertextSize(size int64) int64 { return (size/aes.BlockSize + 1) * aes.BlockSize }

// PlainSize is how many plaintext bytes a payload of sealed ciphertext
// bytes holds, read from the PKCS#7 padding of its last block. Where that
// block has no valid padding (a payload cut short, or not a whole number
// of blocks), every whole block is taken as plaintext: what decrypts.
func PlainSize(r io.ReaderAt, key []byte, sealed int64) (int64, error) {
	whole := sealed - sealed%aes.BlockSize
	if whole <= 0 {
		return 0, nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return 0, err
	}
	// The last block, and the block before it (its IV; zeros for the first).
	var buf [2 * aes.BlockSize]byte
	start := max(whole-2*aes.BlockSize, 0)
	tail := buf[:whole-start]
	if _, err := r.ReadAt(tail, start); err != nil {
		return 0, err
	}
	iv := make([]byte, aes.BlockSize)
	last := tail[len(tail)-aes.BlockSize:]
	if len(tail) > aes.BlockSize {
		copy(iv, tail[:aes.BlockSize])
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(last, last)
	if pad := int64(last[aes.BlockSize-1]); whole == sealed && pad >= 1 && pad <= aes.BlockSize &&
		bytes.Count(last[aes.BlockSize-pad:], last[aes.BlockSize-1:]) == int(pad) {
		return whole - pad, nil
	}
	return whole, nil
}

// ReadAt decrypts the plaintext bytes [off, off+len(p)), clamped to the
// size. A ciphertext that ends early gives what could be decrypted and
// ErrShortPayload.
func (c *CBCReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("cbc: negative offset")
	}
	if off >= c.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), c.size)
	first, last := off/aes.BlockSize, (end-1)/aes.BlockSize
	// The block before the first one is its IV (block 0 has a zero IV).
	start := max(first-1, 0) * aes.BlockSize
	bp := getBuf(int((last+1)*aes.BlockSize - start))
	defer putBuf(bp)
	buf := *bp
	n, err := c.r.ReadAt(buf, start)
	if n < len(buf) {
		if err != nil && err != io.EOF {
			return 0, err
		}
		buf = buf[:n-n%aes.BlockSize]
		err = ErrShortPayload
	} else {
		err = nil
	}
	var iv [aes.BlockSize]byte
	data := buf
	if first > 0 {
		if len(buf) < aes.BlockSize {
			return 0, ErrShortPayload
		}
		copy(iv[:], buf[:aes.BlockSize])
		data = buf[aes.BlockSize:]
	}
	c.Blocks.Add(int64(len(data) / aes.BlockSize))
	lo := off - first*aes.BlockSize
	if lo == 0 && len(p) >= len(data) {
		// Block-aligned (as the kernel's reads are): straight into p.
		c.dec.cbcTo(p, iv[:], data)
		got := int(min(int64(len(data)), end-off))
		if err == nil && off+int64(got) == c.size && got < len(p) {
			err = io.EOF
		}
		return got, err
	}
	c.dec.cbc(iv[:], data)
	if lo >= int64(len(data)) {
		return 0, err
	}
	got := copy(p, data[lo:min(int64(len(data)), end-first*aes.BlockSize)])
	if err == nil && off+int64(got) == c.size && got < len(p) {
		err = io.EOF
	}
	return got, err
}

// Decrypt writes the whole plaintext of an encrypted file of size
// ciphertext bytes (padding included) to w, decrypting pieces of it on
// several cores at once: each CBC block needs only the ciphertext block
// before it.
func Decrypt(w io.Writer, r io.ReaderAt, key []byte, size int64, workers int) error {
	dec, err := newDecrypter(key)
	if err != nil {
		return err
	}
	if size%aes.BlockSize != 0 {
		return errors.New("cbc: ciphertext is not a whole number of blocks")
	}
	const chunk = 8 << 20
	buf := make([]byte, aes.BlockSize+chunk)
	for off := int64(0); off < size; {
		n := min(chunk, size-off)
		// buf[:16] is the IV of the first block: zeros, or the ciphertext
		// before off.
		clear(buf[:aes.BlockSize])
		if off > 0 {
			if _, err := r.ReadAt(buf[:aes.BlockSize], off-aes.BlockSize); err != nil {
				return err
			}
		}
		if _, err := r.ReadAt(buf[aes.BlockSize:aes.BlockSize+n], off); err != nil && !(err == io.EOF && off+n == size) {
			return err
		}
		decryptBlocks(dec, buf[:aes.BlockSize], buf[aes.BlockSize:aes.BlockSize+n], workers)
		if _, err := w.Write(buf[aes.BlockSize : aes.BlockSize+n]); err != nil {
			return err
		}
		off += n
	}
	return nil
}

// decryptBlocks decrypts data (whole blocks) in place, iv being the
// ciphertext block before it, in up to workers pieces at once: CBC
// decryption of a block needs only the ciphertext block before it.
func decryptBlocks(dec *decrypter, iv, data []byte, workers int) {
	const minPiece = 32 << 10
	pieces := min(workers, len(data)/minPiece)
	if pieces <= 1 {
		dec.cbc(iv, data)
		return
	}
	size := (len(data)/pieces + aes.BlockSize - 1) / aes.BlockSize * aes.BlockSize
	// Each piece's IV is copied before any piece is decrypted in place.
	ivs := make([][]byte, pieces)
	ivs[0] = iv
	for i := 1; i < pieces; i++ {
		ivs[i] = append([]byte(nil), data[i*size-aes.BlockSize:i*size]...)
	}
	var wg sync.WaitGroup
	for i := range pieces {
		part := data[i*size : min((i+1)*size, len(data))]
		wg.Go(func() { dec.cbc(ivs[i], part) })
	}
	wg.Wait()
}

// bufs recycles read buffers: a fresh 128 KiB buffer a read costs page
// faults and clearing that take longer than the decryption itself.
var bufs sync.Pool

func getBuf(n int) *[]byte {
	if bp, ok := bufs.Get().(*[]byte); ok && cap(*bp) >= n {
		*bp = (*bp)[:n]
		return bp
	}
	b := make([]byte, n)
	return &b
}

func putBuf(bp *[]byte) { bufs.Put(bp) }
