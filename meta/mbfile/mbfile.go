// Package mbfile decodes the MBFile NSKeyedArchiver blob stored in the
// `file` column of a modern backup's Manifest.db (FORMATS.md 1.5).
package mbfile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iosphotofs/iosphotofs/meta/bplist"
)

// File is what an MBFile says about one backed-up file. Times are Unix
// seconds, UTC.
//
// Only what the index uses is kept: a manifest has hundreds of thousands of
// rows, and every field costs memory and decoding time for each of them.
type File struct {
	Size             int64
	Mode             int64
	LastModified     int64
	LastStatusChange int64
	Birth            int64
	Target           string
	// PhotoXattrs holds the extended attributes named com.apple.assetsd.*,
	// the only ones later stages use; the rest are dropped to keep rows small.
	PhotoXattrs map[string][]byte
	// EncryptionKey is the file's wrapped key: a little-endian protection
	// class then the RFC 3394-wrapped AES key (Decoder.WithKey only).
	EncryptionKey []byte
}

// PhotoXattrPrefix names the extended attributes Photos writes on assets.
const PhotoXattrPrefix = "com.apple.assetsd."

// A Decoder decodes MBFile blobs, reusing its memory from one to the next
// (a build decodes one a manifest row). The zero Decoder is ready; it is
// for one goroutine at a time.
type Decoder struct {
	// WithKey keeps each file's EncryptionKey, for encrypted backups
	// (plain ones have one too, unused, so it is read only when needed).
	WithKey bool
	a       bplist.Archive
}

// Decode parses one MBFile blob. The File does not alias blob.
func (d *Decoder) Decode(blob []byte) (File, error) {
	var f File
	a := &d.a
	if err := a.Open(blob); err != nil {
		return f, fmt.Errorf("mbfile: %w", err)
	}
	root := a.Root
	for i := 0; i < root.Len(); i++ {
		name := root.KeyASCII(i)
		if !wanted(name) && !(d.WithKey && string(name) == "EncryptionKey") {
			continue
		}
		v, err := root.Val(i)
		if err == nil {
			err = set(a, &f, name, v)
		}
		if err != nil {
			return f, fmt.Errorf("mbfile: %s: %w", name, err)
		}
	}
	return f, nil
}

// intField returns where the numeric field name is stored, or nil.
func (f *File) intField(name []byte) *int64 {
	switch string(name) {
	case "Size":
		return &f.Size
	case "Mode":
		return &f.Mode
	case "LastModified":
		return &f.LastModified
	case "LastStatusChange":
		return &f.LastStatusChange
	case "Birth":
		return &f.Birth
	}
	return nil
}

// wanted tells the fields of the root object we use; the others (the
// RelativePath copy, Digest, EncryptionKey, owners, $class) are skipped
// unread.
func wanted(name []byte) bool {
	switch string(name) {
	case "Size", "Mode", "LastModified", "LastStatusChange", "Birth", "Target", "ExtendedAttributes":
		return true
	}
	return false
}

// set stores one wanted field of the root object.
func set(a *bplist.Archive, f *File, name []byte, v bplist.Value) error {
	dst := f.intField(name)
	v, err := a.Resolve(v)
	if err != nil {
		return err
	}
	if dst != nil {
		n, ok := v.Int()
		if !ok {
			return fmt.Errorf("want a number, got %s", v.Kind())
		}
		*dst = n
		return nil
	}
	switch string(name) {
	case "Target":
		s, ok := v.Str()
		if !ok {
			return fmt.Errorf("want a string, got %s", v.Kind())
		}
		f.Target = s
	case "EncryptionKey":
		b, ok := v.Bytes()
		if !ok {
			return fmt.Errorf("want data, got %s", v.Kind())
		}
		f.EncryptionKey = append([]byte(nil), b...)
	case "ExtendedAttributes":
		b, ok := v.Bytes()
		if !ok {
			return fmt.Errorf("want data, got %s", v.Kind())
		}
		x, err := photoXattrs(b)
		if err != nil {
			return err
		}
		f.PhotoXattrs = x
	}
	return nil
}

// photoXattrs decodes the binary plist dict {name: data} of extended
// attributes, keeping the com.apple.assetsd.* ones.
func photoXattrs(b []byte) (map[string][]byte, error) {
	p, err := bplist.Open(b)
	if err != nil {
		return nil, err
	}
	d, err := p.Top()
	if err != nil {
		return nil, err
	}
	if d.Kind() != bplist.Dict {
		return nil, errors.New("extended attributes are not a dict")
	}
	var out map[string][]byte
	for i := 0; i < d.Len(); i++ {
		k, v, err := d.Entry(i)
		if err != nil {
			return nil, err
		}
		name, _ := k.Str()
		if !strings.HasPrefix(name, PhotoXattrPrefix) {
			continue
		}
		val, ok := v.Bytes()
		if !ok {
			// Some writers store short values as strings.
			s, isStr := v.Str()
			if !isStr {
				continue
			}
			val = []byte(s)
		}
		if out == nil {
			out = make(map[string][]byte)
		}
		out[name] = append([]byte(nil), val...)
	}
	return out, nil
}
