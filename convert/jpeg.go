// Package convert makes JPEG copies of HEIC photos: decoded with
// gen2brain/heic (the system libheif when there is one, else its WASM
// decoder; a file libheif fails on goes to Pool.Fallback), encoded as baseline JPEG
// with the original EXIF (Orientation reset: the pixels come out upright)
// and ICC profile, kept in a size-bounded cache on disk, and made in the
// background or on demand by a memory-bounded pool.
package convert

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"

	"github.com/gen2brain/heic"
	"github.com/iosphotofs/iosphotofs/meta/media"
)

// EncoderVersion changes whenever the bytes a conversion makes change, so
// that cached copies of an older encoder are not served.
const EncoderVersion = 1

// maxHEIC bounds the HEIC files converted (the largest iPhone photos are
// around 10 MB).
const maxHEIC = 256 << 20

// HEICToJPEG converts the HEIC file of size bytes that r reads.
func HEICToJPEG(r io.ReaderAt, size int64, quality int) ([]byte, error) {
	if size > maxHEIC {
		return nil, fmt.Errorf("convert: a %d-byte HEIC is larger than %d MiB", size, maxHEIC>>20)
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, err
	}
	meta, err := media.ReadHEIFMeta(bytes.NewReader(data), size)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	img, err := decodeHEIC(data)
	if err != nil {
		return nil, err
	}
	return encodeJPEG(img, meta, quality)
}

// ErrLibheif marks a HEIC that libheif could not decode (Debian's libheif
// 1.15 cannot read iOS 26 photos): another decoder may still read it (see
// Pool.Fallback).
var ErrLibheif = errors.New("libheif cannot decode it")

// decodeHEIC decodes with libheif where it is loaded, else with the WASM
// decoder. A decoder that panics is an error, not a crash.
func decodeHEIC(data []byte) (image.Image, error) {
	img, err := safeDecode(data)
	if err != nil && heic.Dynamic() == nil {
		return nil, fmt.Errorf("convert: %w (%v)", ErrLibheif, err)
	}
	return img, err
}

func safeDecode(data []byte) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("convert: the HEIC decoder failed: %v", p)
		}
	}()
	img, err = heic.Decode(bytes.NewReader(data))
	if err == nil && (img.Bounds().Dx() == 0 || img.Bounds().Dy() == 0) {
		err = errors.New("convert: the HEIC decoded to an empty image")
	}
	return img, err
}

// encodeJPEG writes img as a baseline JPEG, then puts the EXIF block
// (APP1) and the ICC profile (APP2) right after its start marker.
func encodeJPEG(img image.Image, meta media.HEIFMeta, quality int) ([]byte, error) {
	var body bytes.Buffer
	if err := jpeg.Encode(&body, opaqueRGBA(img), &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("convert: JPEG encoding: %w", err)
	}
	enc := body.Bytes()
	if len(enc) < 2 || enc[0] != 0xff || enc[1] != 0xd8 {
		return nil, errors.New("convert: the JPEG encoder wrote no start marker")
	}
	out := make([]byte, 0, len(enc)+len(meta.EXIF)+len(meta.ICC)+64)
	out = append(out, 0xff, 0xd8)
	if meta.EXIF != nil {
		if exif, err := media.UprightEXIF(meta.EXIF); err == nil && len(exif)+8 <= 0xffff {
			out = appendSegment(out, 0xe1, append([]byte("Exif\x00\x00"), exif...))
		}
	}
	out = appendICC(out, meta.ICC)
	return append(out, enc[2:]...), nil
}

// appendSegment appends a JPEG marker segment (its length counts itself).
func appendSegment(out []byte, marker byte, payload []byte) []byte {
	out = append(out, 0xff, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	return append(out, payload...)
}

// appendICC splits an ICC profile into APP2 "ICC_PROFILE" chunks, each
// numbered, as the ICC's own embedding rules say.
func appendICC(out, icc []byte) []byte {
	const chunk = 0xffff - 2 - 14 // length field, "ICC_PROFILE\0", sequence, count
	n := (len(icc) + chunk - 1) / chunk
	if n == 0 || n > 255 {
		return out
	}
	for i := range n {
		part := icc[i*chunk : min(len(icc), (i+1)*chunk)]
		payload := append([]byte("ICC_PROFILE\x00"), byte(i+1), byte(n))
		out = appendSegment(out, 0xe2, append(payload, part...))
	}
	return out
}

// opaqueRGBA gives image/jpeg its fast path: an opaque NRGBA image is
// already an RGBA one (premultiplying by 255 changes nothing), so its
// pixels are reused as they are.
func opaqueRGBA(img image.Image) image.Image {
	n, ok := img.(*image.NRGBA)
	if !ok || !n.Opaque() {
		return img
	}
	return &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
}
