package sqlitefile

import (
	"encoding/binary"
	"fmt"
	"io"
)

// The rollback journal (https://www.sqlite.org/fileformat2.html#the_rollback_journal):
// segments of a header (padded to a sector) and records of a page number,
// the page as it was before the write, and a checksum. Rolling it back
// puts every page recorded back as it was (the first record of a page is
// its state before the write) and cuts the file to its size before it.
const (
	journalHeaderFields = 28
	minSector           = 512
)

// WithJournal returns the database file r (of size bytes) as rolling its
// hot journal back would make it (see HotJournal): a reader of the pages
// as they were before the interrupted write, and that database's size.
// Nothing is written: the journal's pages are laid over the file. Records
// are read while their checksums hold (the tail of a journal cut short is
// not yet part of it).
func WithJournal(r io.ReaderAt, size int64, journal io.ReaderAt, journalSize int64) (io.ReaderAt, int64, error) {
	pageSize, err := filePageSize(r, size)
	if err != nil {
		return nil, 0, err
	}
	o := &overlay{file: r, log: journal, pageSize: pageSize, pages: map[uint32]int64{}}
	dbPages := int64(-1)
	var h [journalHeaderFields]byte
	for off := int64(0); off+journalHeaderFields <= journalSize; {
		if _, err := journal.ReadAt(h[:], off); err != nil {
			return nil, 0, fmt.Errorf("sqlite: journal header: %w", err)
		}
		if !HotJournal(h[:]) {
			break
		}
		nRec := int64(binary.BigEndian.Uint32(h[8:]))
		nonce := binary.BigEndian.Uint32(h[12:])
		sector := int64(binary.BigEndian.Uint32(h[20:]))
		if jp := int64(binary.BigEndian.Uint32(h[24:])); jp != pageSize {
			return nil, 0, fmt.Errorf("sqlite: journal of %d-byte pages for a database of %d", jp, pageSize)
		}
		if sector < minSector || sector > 1<<16 || sector&(sector-1) != 0 {
			sector = minSector
		}
		if dbPages < 0 {
			dbPages = int64(binary.BigEndian.Uint32(h[16:]))
		}
		rec := 4 + pageSize + 4
		off += sector
		if nRec == 0xffffffff || nRec == 0 {
			nRec = (journalSize - off) / rec // not yet counted: all that follows
		}
		page := make([]byte, rec)
		for range nRec {
			if off+rec > journalSize {
				break
			}
			if _, err := journal.ReadAt(page, off); err != nil {
				return nil, 0, fmt.Errorf("sqlite: journal record at %d: %w", off, err)
			}
			n := binary.BigEndian.Uint32(page)
			if n == 0 || journalChecksum(nonce, page[4:4+pageSize]) != binary.BigEndian.Uint32(page[4+pageSize:]) {
				break
			}
			if _, seen := o.pages[n]; !seen {
				o.pages[n] = off + 4
			}
			off += rec
		}
		off = (off + sector - 1) / sector * sector // the next segment starts on a sector
	}
	if dbPages < 0 {
		return r, size, nil
	}
	return o, dbPages * pageSize, nil
}

// journalChecksum is a record's checksum: the nonce plus every 200th byte
// of the page, from its end.
func journalChecksum(nonce uint32, page []byte) uint32 {
	sum := nonce
	for i := len(page) - 200; i > 0; i -= 200 {
		sum += uint32(page[i])
	}
	return sum
}
