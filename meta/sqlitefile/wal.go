package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The write-ahead log (https://www.sqlite.org/fileformat2.html#the_write_ahead_log):
// a 32-byte header, then frames of a 24-byte header and one page each. A
// frame belongs to the log while its salts are the header's and the
// running checksum holds; the database is what the file holds with the
// pages of every frame up to the last commit frame (one with the size of
// the database after it) laid over it, the latest frame of a page winning.
const (
	walHeaderSize      = 32
	walFrameHeaderSize = 24
	walMagicLE         = 0x377f0682
	walMagicBE         = 0x377f0683
)

// WithWAL returns the database file r (of size bytes) as its write-ahead
// log wal (of walSize bytes) makes it: a reader of the pages as of the
// log's last complete commit, and that database's size. A log that is
// empty, of another page size, or damaged from its start gives the file as
// it is; a log caught mid-write gives its last complete commit. Nothing is
// written anywhere (SQLite would need a -shm beside the file).
func WithWAL(r io.ReaderAt, size int64, wal io.ReaderAt, walSize int64) (io.ReaderAt, int64, error) {
	var h [walHeaderSize]byte
	if walSize < walHeaderSize {
		return r, size, nil
	}
	if _, err := wal.ReadAt(h[:], 0); err != nil {
		return nil, 0, fmt.Errorf("sqlite: wal header: %w", err)
	}
	magic := binary.BigEndian.Uint32(h[0:])
	if magic != walMagicLE && magic != walMagicBE {
		return nil, 0, errors.New("sqlite: not a write-ahead log")
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if magic == walMagicBE {
		order = binary.BigEndian
	}
	pageSize := int64(binary.BigEndian.Uint32(h[8:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	s0, s1 := walChecksum(order, h[:24], 0, 0)
	if s0 != binary.BigEndian.Uint32(h[24:]) || s1 != binary.BigEndian.Uint32(h[28:]) || pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return r, size, nil // SQLite ignores such a log too
	}
	if dbPageSize, err := filePageSize(r, size); err == nil && dbPageSize != pageSize {
		return r, size, nil
	}
	o := &overlay{file: r, log: wal, pageSize: pageSize, pages: map[uint32]int64{}}
	committed := map[uint32]int64{}
	dbPages := uint32(0)
	frame := make([]byte, walFrameHeaderSize+pageSize)
	for off := int64(walHeaderSize); off+int64(len(frame)) <= walSize; off += int64(len(frame)) {
		if _, err := wal.ReadAt(frame, off); err != nil {
			return nil, 0, fmt.Errorf("sqlite: wal frame at %d: %w", off, err)
		}
		if binary.BigEndian.Uint32(frame[8:]) != binary.BigEndian.Uint32(h[16:]) ||
			binary.BigEndian.Uint32(frame[12:]) != binary.BigEndian.Uint32(h[20:]) {
			break
		}
		s0, s1 = walChecksum(order, frame[:8], s0, s1)
		s0, s1 = walChecksum(order, frame[walFrameHeaderSize:], s0, s1)
		if s0 != binary.BigEndian.Uint32(frame[16:]) || s1 != binary.BigEndian.Uint32(frame[20:]) {
			break
		}
		page := binary.BigEndian.Uint32(frame[0:])
		if page == 0 {
			break
		}
		committed[page] = off + walFrameHeaderSize
		if commit := binary.BigEndian.Uint32(frame[4:]); commit != 0 {
			for p, at := range committed {
				o.pages[p] = at
			}
			clear(committed)
			dbPages = commit
		}
	}
	if dbPages == 0 {
		return r, size, nil // no complete commit: the file is the database
	}
	return o, int64(dbPages) * pageSize, nil
}

// filePageSize reads a database file's page size from its header.
func filePageSize(r io.ReaderAt, size int64) (int64, error) {
	if size < HeaderSize {
		return 0, errors.New("sqlite: no header")
	}
	var h [18]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return 0, err
	}
	n := int64(binary.BigEndian.Uint16(h[16:]))
	if n == 1 {
		n = 65536
	}
	return n, nil
}

// walChecksum continues the log's running checksum over b (a multiple of
// 8 bytes), read as 32-bit words in order.
func walChecksum(order binary.ByteOrder, b []byte, s0, s1 uint32) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s0 += order.Uint32(b[i:]) + s1
		s1 += order.Uint32(b[i+4:]) + s0
	}
	return s0, s1
}

// overlay reads the database file with pages of a log (a WAL's committed
// frames, or a rollback journal's records) laid over it.
type overlay struct {
	file, log io.ReaderAt
	pageSize  int64
	pages     map[uint32]int64 // page number -> offset of its data in the log
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		at := off + int64(done)
		page := uint32(at/o.pageSize) + 1
		in := at % o.pageSize
		n := int(min(o.pageSize-in, int64(len(p)-done)))
		var err error
		if logAt, ok := o.pages[page]; ok {
			_, err = o.log.ReadAt(p[done:done+n], logAt+in)
		} else {
			var k int
			k, err = o.file.ReadAt(p[done:done+n], at)
			if err == io.EOF && k == n {
				err = nil
			}
			if err == io.EOF {
				// A page the log added past the file's end, and not in
				// the log: zeros, as SQLite would have written them.
				clear(p[done+k : done+n])
				err = nil
			}
		}
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}
