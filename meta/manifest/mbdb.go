package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/mbfile"
)

// mbdbMagic starts every Manifest.mbdb (iOS 5-9).
const mbdbMagic = "mbdb\x05\x00"

// ParseMBDB decodes a Manifest.mbdb (FORMATS.md 1.8) into sink (in one
// chunk) and returns what was wrong. Integers are big-endian. A record cut
// short ends the parse with a problem; the records before it are kept.
func ParseMBDB(data []byte, sink Sink) ([]string, error) {
	if len(data) < len(mbdbMagic) || string(data[:len(mbdbMagic)]) != mbdbMagic {
		return nil, errors.New("Manifest.mbdb: not an mbdb file (bad header)")
	}
	var records []backup.Record
	var problems []string
	d := mbdbReader{buf: data, pos: len(mbdbMagic)}
	domains := make(map[string]string)
	for d.pos < len(d.buf) {
		start := d.pos
		rec, err := d.record()
		if err != nil {
			problems = append(problems, fmt.Sprintf("Manifest.mbdb: record at byte %d: %v; %d records read, the rest is lost", start, err, len(records)))
			break
		}
		if in, ok := domains[rec.Domain]; ok {
			rec.Domain = in
		} else {
			domains[rec.Domain] = rec.Domain
		}
		rec.ID = backup.FileID(rec.Domain, rec.RelativePath)
		records = append(records, rec)
	}
	sink(records)
	return problems, nil
}

type mbdbReader struct {
	buf []byte
	pos int
	err error
}

var errShort = errors.New("truncated")

func (d *mbdbReader) take(n int) []byte {
	if d.err != nil || n > len(d.buf)-d.pos {
		d.err = errShort
		return nil
	}
	b := d.buf[d.pos : d.pos+n]
	d.pos += n
	return b
}

// str reads a uint16-length string; 0xFFFF means absent.
func (d *mbdbReader) str() []byte {
	n := d.take(2)
	if n == nil {
		return nil
	}
	l := binary.BigEndian.Uint16(n)
	if l == 0xffff {
		return nil
	}
	return d.take(int(l))
}

func (d *mbdbReader) u(n int) uint64 {
	b := d.take(n)
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (d *mbdbReader) record() (backup.Record, error) {
	var rec backup.Record
	rec.Domain = string(d.str())
	rec.RelativePath = string(d.str())
	target := string(d.str())
	d.str() // digest
	f := mbfile.File{Target: target}
	if key := d.str(); key != nil {
		// Encrypted backups: class (LE) and the wrapped key, as in MBFile.
		f.EncryptionKey = append([]byte(nil), key...)
	}
	f.Mode = int64(d.u(2))
	d.u(8) // inode number
	d.u(4) // user
	d.u(4) // group
	f.LastModified = int64(int32(d.u(4)))
	f.LastStatusChange = int64(int32(d.u(4)))
	f.Birth = int64(int32(d.u(4)))
	f.Size = int64(d.u(8))
	d.u(1) // protection class
	props := int(d.u(1))
	for range props {
		name := string(d.str())
		value := d.str()
		if d.err == nil && strings.HasPrefix(name, mbfile.PhotoXattrPrefix) {
			if f.PhotoXattrs == nil {
				f.PhotoXattrs = make(map[string][]byte)
			}
			f.PhotoXattrs[name] = append([]byte(nil), value...)
		}
	}
	if d.err != nil {
		return rec, d.err
	}
	if f.Size < 0 {
		return rec, fmt.Errorf("negative size %d", f.Size)
	}
	rec.File = f
	rec.Type = backup.TypeOfMode(f.Mode)
	return rec, nil
}
