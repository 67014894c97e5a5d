package sqlitefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// A cell whose overflow chain loops on itself: the declared size decides
// how far it is followed, and a size the file could not hold is refused
// before any page is read.
func TestOverflowLoopIsBoundedByTheFile(t *testing.T) {
	const pageSize, pages = 512, 4
	file := make([]byte, pageSize*pages)
	binary.BigEndian.PutUint32(file[pageSize:], 2) // page 2 points to itself
	db := &DB{r: bytes.NewReader(file), pageSize: pageSize, usable: pageSize, pages: pages}
	c := db.newCursor()
	// A cell of size bytes whose first overflow page is page 2. Where that
	// pointer sits is SQLite's rule (file format 1.6): after the local part,
	// minLocal + (size - minLocal) % (usable - 4) bytes, or minLocal where
	// that is more than maxLocal.
	cell := func(size uint64) []byte {
		p := appendVarint(appendVarint(nil, size), 1) // size, rowid
		minLocal, maxLocal := uint64((pageSize-12)*32/255-23), uint64(pageSize-35)
		local := minLocal + (size-minLocal)%(pageSize-4)
		if local > maxLocal {
			local = minLocal
		}
		at := len(p) + int(local)
		p = append(p, make([]byte, pageSize-len(p))...)
		binary.BigEndian.PutUint32(p[at:], 2)
		return p
	}
	if _, err := c.cell(cell(1<<29), 0); !errors.Is(err, errCell) {
		t.Errorf("a 512 MiB cell in a 2 KiB file: %v, want errCell", err)
	}
	if got, err := c.cell(cell(pageSize*pages), 0); err != nil || len(got) != pageSize*pages {
		t.Errorf("a cell as large as the file, looping: %d bytes, %v", len(got), err)
	}
}

// appendVarint writes v as a SQLite varint (big-endian, 7 bits a byte).
func appendVarint(b []byte, v uint64) []byte {
	var tmp [9]byte
	n := 0
	for {
		tmp[n] = byte(v & 0x7f)
		n++
		v >>= 7
		if v == 0 {
			break
		}
	}
	for i := n - 1; i >= 0; i-- {
		c := tmp[i]
		if i > 0 {
			c |= 0x80
		}
		b = append(b, c)
	}
	return b
}
