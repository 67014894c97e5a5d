// Package sqlitefile reads the rows of one table straight from a SQLite
// database file (https://www.sqlite.org/fileformat2.html), without a SQLite
// library. A backup's Manifest.db holds 100k-400k rows, and walking its
// table b-tree directly, in parallel over the leaf pages, is several times
// faster than a full SQL engine. It never writes, takes no locks and makes
// no -shm; it does not apply a -wal (callers use a real engine for that).
package sqlitefile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
)

const headerMagic = "SQLite format 3\x00"

// DB is an open database file.
type DB struct {
	r        io.ReaderAt
	pageSize int
	usable   int // page size minus reserved bytes
	pages    uint32
}

// Open reads the database header.
func Open(r io.ReaderAt, size int64) (*DB, error) {
	var h [100]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return nil, fmt.Errorf("sqlite: header: %w", err)
	}
	if string(h[:16]) != headerMagic {
		return nil, errors.New("sqlite: not a SQLite 3 database")
	}
	pageSize := int(binary.BigEndian.Uint16(h[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("sqlite: bad page size %d", pageSize)
	}
	if enc := binary.BigEndian.Uint32(h[56:]); enc != 1 && enc != 0 {
		return nil, errors.New("sqlite: text is not UTF-8")
	}
	usable := pageSize - int(h[20])
	if usable < 480 {
		return nil, errors.New("sqlite: bad reserved space")
	}
	// The header's page count is only valid when its change counters agree;
	// the file size is the fallback (and the bound).
	pages := uint32(size / int64(pageSize))
	if n := binary.BigEndian.Uint32(h[28:]); n != 0 && n <= pages && binary.BigEndian.Uint32(h[24:]) == binary.BigEndian.Uint32(h[92:]) {
		pages = n
	}
	return &DB{r: r, pageSize: pageSize, usable: usable, pages: pages}, nil
}

// HeaderSize is the length of a database file's header.
const HeaderSize = 100

// WALMode reports whether a database header says the file is in WAL mode
// (read and write versions 2): SQLite then opens it only with a -wal and
// a -shm beside it.
func WALMode(header []byte) bool {
	return len(header) >= 20 && string(header[:16]) == headerMagic && header[18] == 2 && header[19] == 2
}

// journalMagic opens a rollback journal's header while the write it
// protects is unfinished; SQLite zeroes or deletes it when the write is
// done (https://www.sqlite.org/fileformat2.html#the_rollback_journal).
const journalMagic = "\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"

// JournalHeaderSize is how much of a journal HotJournal looks at.
const JournalHeaderSize = len(journalMagic)

// HotJournal reports whether a rollback journal's first bytes say a write
// was interrupted: the database file then holds part of that write, and
// only rolling the journal back gives the rows as they were committed.
func HotJournal(header []byte) bool {
	return len(header) >= len(journalMagic) && string(header[:len(journalMagic)]) == journalMagic
}

// carvePageSize is assumed when a damaged file's header gives none: the
// page size iOS writes its databases with.
const carvePageSize = 4096

// OpenDamaged is Open for a file whose header may be destroyed too: it
// then assumes 4 KiB pages, enough to Carve.
func OpenDamaged(r io.ReaderAt, size int64) *DB {
	if db, err := Open(r, size); err == nil {
		return db
	}
	return &DB{r: r, pageSize: carvePageSize, usable: carvePageSize, pages: uint32(size / carvePageSize)}
}

// Carve calls fn with every row of every page that is a table b-tree leaf,
// in page order, whichever table (or free list) the page belongs to: a
// file whose b-tree is damaged still gives the rows it holds. Callers
// tell their table's rows by shape. A damaged page is skipped; cells of
// a damaged page that do read are passed on.
func (db *DB) Carve(fn func(rec []byte) error) error {
	c := db.newCursor()
	visit := func(rec []byte, rowErr error) error {
		if rowErr != nil {
			return nil
		}
		return fn(rec)
	}
	for n := uint32(2); n <= db.pages; n++ {
		p, err := db.page(n, c.page)
		if err != nil || p[0] != 0x0d {
			continue
		}
		if err := c.cells(n, p, visit); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) page(n uint32, buf []byte) ([]byte, error) {
	if n < 1 || n > db.pages {
		return nil, fmt.Errorf("sqlite: page %d out of range", n)
	}
	buf = buf[:db.pageSize]
	if _, err := db.r.ReadAt(buf, int64(n-1)*int64(db.pageSize)); err != nil {
		return nil, fmt.Errorf("sqlite: page %d: %w", n, err)
	}
	return buf, nil
}

// Table describes a table found in the schema.
type Table struct {
	Root    uint32
	Columns []string // in storage order
	// Rowid is the column that is the row's rowid (declared INTEGER
	// PRIMARY KEY: its record holds NULL), or -1.
	Rowid int
}

// Table finds a table's root page and column names in sqlite_schema.
func (db *DB) Table(name string) (*Table, error) {
	var found *Table
	other := "" // what name is, when it is no table
	err := db.scan(1, func(rec []byte, rowErr error) error {
		if rowErr != nil {
			return rowErr
		}
		cols, err := Values(rec, nil)
		if err != nil || len(cols) < 5 {
			return nil
		}
		if !strings.EqualFold(cols[1].Text(), name) {
			return nil
		}
		if kind := cols[0].Text(); kind != "table" {
			other = kind
			return nil
		}
		root, ok := cols[3].Int()
		if !ok || root < 1 || root > math.MaxUint32 {
			return fmt.Errorf("sqlite: table %s has a bad root page", name)
		}
		names, rowid := columnsOf(cols[4].Text())
		found = &Table{Root: uint32(root), Columns: names, Rowid: rowid}
		return errStop
	})
	if err != nil && err != errStop {
		return nil, err
	}
	if found == nil && other != "" {
		// A view's rows come from its query, which is the file's own.
		return nil, fmt.Errorf("sqlite: %s is a %s, not a table: not read", name, other)
	}
	if found == nil {
		return nil, fmt.Errorf("%w %s", ErrNoTable, name)
	}
	return found, nil
}

var errStop = errors.New("stop")

// ErrNoTable is Table's error for a name that is no table of the schema.
var ErrNoTable = errors.New("sqlite: no table")

// Tables lists the names of the tables in sqlite_schema; a damaged schema
// page gives the names read before it, and the error.
func (db *DB) Tables() ([]string, error) {
	var names []string
	err := db.scan(1, func(rec []byte, rowErr error) error {
		if rowErr != nil {
			return rowErr
		}
		if cols, err := Values(rec, nil); err == nil && len(cols) >= 2 && cols[0].Text() == "table" {
			names = append(names, cols[1].Text())
		}
		return nil
	})
	return names, err
}

// columnsOf takes the column names from a CREATE TABLE statement (table
// constraints, PRIMARY KEY(...), UNIQUE ..., are not columns), and which
// is the rowid (INTEGER PRIMARY KEY), or -1.
func columnsOf(sql string) (cols []string, rowid int) {
	rowid = -1
	open, end := strings.IndexByte(sql, '('), strings.LastIndexByte(sql, ')')
	if open < 0 || end < open {
		return nil, rowid
	}
	depth, start := 0, open+1
	body := sql[:end]
	for i := open + 1; i <= len(body); i++ {
		if i < len(body) {
			switch body[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		def := strings.TrimSpace(body[start:i])
		start = i + 1
		fields := strings.Fields(def)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT":
			continue
		}
		if len(fields) >= 4 && strings.EqualFold(fields[1], "INTEGER") && strings.EqualFold(fields[2], "PRIMARY") &&
			strings.EqualFold(fields[3], "KEY") && !(len(fields) > 4 && strings.EqualFold(fields[4], "DESC")) {
			rowid = len(cols)
		}
		cols = append(cols, strings.Trim(fields[0], "\"`[]"))
	}
	return cols, rowid
}

// Scan calls fn with the record of every row of the table rooted at root,
// from several workers at once (fn must be safe for that), in no set order.
// Each worker gets a share of the leaf pages; worker is its number, for
// callers that keep per-worker state. A damaged page is passed to fn as
// rowErr, once, and the rest of the table is still read. rec is only valid
// during the call.
func (db *DB) Scan(root uint32, workers int, fn func(worker int, rec []byte, rowErr error) error) error {
	leaves, err := db.leaves(root)
	if err != nil {
		return err
	}
	// In page order, leaves that lie close together are read in one go. A
	// corrupt file may list a page twice: it is read once.
	slices.Sort(leaves)
	leaves = slices.Compact(leaves)
	workers = max(1, min(workers, len(leaves)))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			part := leaves[len(leaves)*w/workers : len(leaves)*(w+1)/workers]
			c := db.newCursor()
			visit := func(rec []byte, rowErr error) error { return fn(w, rec, rowErr) }
			for len(part) > 0 {
				n := c.readSpan(part)
				for _, p := range part[:n] {
					if err := c.leaf(p, visit); err != nil {
						errs[w] = err
						return
					}
				}
				part = part[n:]
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// spanPages bounds one read of nearby pages (256 KiB at 4 KiB pages).
const spanPages = 64

// readSpan reads, in one call, the pages from leaves[0] up to the last of
// the following leaves within spanPages of it, and returns how many leaves
// that covers. leaf then takes those pages from memory. A failed read
// leaves the span empty, and each leaf is read (and fails) on its own.
func (c *cursor) readSpan(leaves []uint32) int {
	first := leaves[0]
	n := 1
	for n < len(leaves) && leaves[n]-first < spanPages && leaves[n] <= c.db.pages {
		n++
	}
	last := leaves[n-1]
	c.spanFirst, c.span = first, nil
	if n == 1 || first < 1 {
		return n
	}
	size := int(last-first+1) * c.db.pageSize
	if cap(c.spanBuf) < size {
		c.spanBuf = make([]byte, spanPages*c.db.pageSize)
	}
	if _, err := c.db.r.ReadAt(c.spanBuf[:size], int64(first-1)*int64(c.db.pageSize)); err == nil {
		c.span = c.spanBuf[:size]
	}
	return n
}

// pageAt returns page n from the current span or reads it into c.page.
func (c *cursor) pageAt(n uint32) ([]byte, error) {
	if n >= c.spanFirst {
		if off := int(n-c.spanFirst) * c.db.pageSize; off+c.db.pageSize <= len(c.span) {
			return c.span[off : off+c.db.pageSize], nil
		}
	}
	return c.db.page(n, c.page)
}

// scan visits the rows of a table serially (used for the schema).
func (db *DB) scan(root uint32, fn func(rec []byte, rowErr error) error) error {
	leaves, err := db.leaves(root)
	if err != nil {
		return err
	}
	c := db.newCursor()
	for _, p := range leaves {
		if err := c.leaf(p, fn); err != nil {
			return err
		}
	}
	return nil
}

// leaves lists the leaf pages of a table b-tree, in key order. Damaged
// interior pages end the walk with an error; a page seen twice (a cycle in
// a corrupt file) is an error too.
func (db *DB) leaves(root uint32) ([]uint32, error) {
	var out []uint32
	seen := make(map[uint32]bool)
	buf := make([]byte, db.pageSize)
	var walk func(n uint32, depth int) error
	walk = func(n uint32, depth int) error {
		if seen[n] || depth > 64 {
			return fmt.Errorf("sqlite: page %d: b-tree loops", n)
		}
		seen[n] = true
		p, err := db.page(n, buf)
		if err != nil {
			return err
		}
		hdr := 0
		if n == 1 {
			hdr = 100
		}
		switch p[hdr] {
		case 0x0d:
			out = append(out, n)
			return nil
		case 0x05:
		default:
			return fmt.Errorf("sqlite: page %d is not a table b-tree page (type %#x)", n, p[hdr])
		}
		count := int(binary.BigEndian.Uint16(p[hdr+3:]))
		right := binary.BigEndian.Uint32(p[hdr+8:])
		if hdr+12+2*count > len(p) {
			return fmt.Errorf("sqlite: page %d: bad cell count", n)
		}
		children := make([]uint32, 0, count+1)
		for i := range count {
			off := int(binary.BigEndian.Uint16(p[hdr+12+2*i:]))
			if off+4 > len(p) {
				return fmt.Errorf("sqlite: page %d: cell out of range", n)
			}
			children = append(children, binary.BigEndian.Uint32(p[off:]))
		}
		children = append(children, right)
		// All leaves of a b-tree are at one depth: when the first child is
		// a leaf, its siblings are taken as leaves unread (leaf checks each
		// page's type when it reads it).
		if first, err := db.page(children[0], buf); err == nil && first[0] == 0x0d && children[0] != 1 {
			out = append(out, children...)
			return nil
		}
		for _, c := range children {
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return nil, err
	}
	return out, nil
}

// cursor holds one reader's buffers.
type cursor struct {
	db       *DB
	page     []byte
	overflow []byte
	payload  []byte
	// span holds pages spanFirst, spanFirst+1, ... read by readSpan.
	span      []byte
	spanBuf   []byte
	spanFirst uint32
	rowid     int64 // of the cell read last
}

func (db *DB) newCursor() *cursor {
	return &cursor{db: db, page: make([]byte, db.pageSize), overflow: make([]byte, db.pageSize)}
}

// leaf calls fn for every cell of table leaf page n.
func (c *cursor) leaf(n uint32, fn func(rec []byte, rowErr error) error) error {
	p, err := c.pageAt(n)
	if err != nil {
		return fn(nil, err)
	}
	return c.cells(n, p, fn)
}

// cells calls fn for every cell of p, table leaf page n.
func (c *cursor) cells(n uint32, p []byte, fn func(rec []byte, rowErr error) error) error {
	hdr := 0
	if n == 1 {
		hdr = 100
	}
	if p[hdr] != 0x0d {
		return fn(nil, fmt.Errorf("sqlite: page %d is not a table leaf", n))
	}
	count := int(binary.BigEndian.Uint16(p[hdr+3:]))
	if hdr+8+2*count > len(p) {
		return fn(nil, fmt.Errorf("sqlite: page %d: bad cell count", n))
	}
	for i := range count {
		off := int(binary.BigEndian.Uint16(p[hdr+8+2*i:]))
		rec, err := c.cell(p, off)
		if err != nil {
			err = fmt.Errorf("sqlite: page %d cell %d: %w", n, i, err)
		}
		if err := fn(rec, err); err != nil {
			return err
		}
	}
	return nil
}

var errCell = errors.New("damaged cell")

// cell returns the payload of the table leaf cell at off, following
// overflow pages.
func (c *cursor) cell(p []byte, off int) ([]byte, error) {
	if off >= len(p) {
		return nil, errCell
	}
	// A payload cannot be larger than the whole file: a chain of overflow
	// pages that loops is then followed at most once over every page.
	size, n := varint(p[off:])
	if n == 0 || size > uint64(c.db.pages)*uint64(c.db.usable) {
		return nil, errCell
	}
	off += n
	rowid, n := varint(p[off:])
	if n == 0 {
		return nil, errCell
	}
	c.rowid = int64(rowid)
	off += n
	u := c.db.usable
	maxLocal := u - 35
	local := int(size)
	if int(size) > maxLocal {
		minLocal := (u-12)*32/255 - 23
		local = minLocal + (int(size)-minLocal)%(u-4)
		if local > maxLocal {
			local = minLocal
		}
	}
	if off+local > len(p) {
		return nil, errCell
	}
	if local == int(size) {
		return p[off : off+local], nil
	}
	if off+local+4 > len(p) {
		return nil, errCell
	}
	c.payload = append(c.payload[:0], p[off:off+local]...)
	next := binary.BigEndian.Uint32(p[off+local:])
	for len(c.payload) < int(size) {
		if next == 0 {
			return nil, errCell
		}
		o, err := c.db.page(next, c.overflow)
		if err != nil {
			return nil, err
		}
		take := min(int(size)-len(c.payload), u-4)
		c.payload = append(c.payload, o[4:4+take]...)
		next = binary.BigEndian.Uint32(o)
		if len(c.payload) > int(size) {
			return nil, errCell
		}
	}
	return c.payload, nil
}

// varint decodes a SQLite varint; n is 0 if b is too short.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}

// Value is one column of a record.
type Value struct {
	typ   uint64
	bytes []byte // text and blobs alias the record
	num   int64
}

// IsNull reports a NULL.
func (v Value) IsNull() bool { return v.typ == 0 }

// Int returns an integer column.
func (v Value) Int() (int64, bool) {
	return v.num, v.typ >= 1 && v.typ <= 6 || v.typ == 8 || v.typ == 9
}

// Text returns a text column as a new string ("" for other types).
func (v Value) Text() string {
	if v.typ >= 13 && v.typ%2 == 1 {
		return string(v.bytes)
	}
	return ""
}

// Bytes returns a text or blob column's bytes (aliasing the record).
func (v Value) Bytes() []byte {
	if v.typ >= 12 {
		return v.bytes
	}
	return nil
}

// Values decodes a record into its columns, appending to dst[:0].
func Values(rec []byte, dst []Value) ([]Value, error) { return valuesUpTo(rec, dst, -1) }

// valuesUpTo decodes the first max columns of a record (all for -1): a
// reader that wants a few of a wide table's columns decodes no more.
func valuesUpTo(rec []byte, dst []Value, max int) ([]Value, error) {
	hsize, n := varint(rec)
	if n == 0 || hsize > uint64(len(rec)) || hsize < uint64(n) {
		return nil, errors.New("sqlite: bad record header")
	}
	out := dst[:0]
	body := int(hsize)
	for pos := n; pos < int(hsize) && len(out) != max; {
		t, m := varint(rec[pos:int(hsize)])
		if m == 0 {
			return nil, errors.New("sqlite: bad record header")
		}
		pos += m
		var size int
		switch {
		case t <= 4:
			size = int(t)
		case t == 5:
			size = 6
		case t == 6 || t == 7:
			size = 8
		case t == 8 || t == 9:
		case t >= 12:
			if (t-12)/2 > uint64(len(rec)) {
				return nil, errors.New("sqlite: record runs past its end")
			}
			size = int((t - 12) / 2)
		default:
			return nil, fmt.Errorf("sqlite: reserved serial type %d", t)
		}
		if body+size > len(rec) {
			return nil, errors.New("sqlite: record runs past its end")
		}
		v := Value{typ: t}
		b := rec[body : body+size]
		switch {
		case t >= 1 && t <= 6:
			var x int64
			if b[0]&0x80 != 0 {
				x = -1
			}
			for _, c := range b {
				x = x<<8 | int64(c)
			}
			v.num = x
		case t == 7:
			v.num = int64(binary.BigEndian.Uint64(b))
		case t == 9:
			v.num = 1
		case t >= 12:
			v.bytes = b
		}
		out = append(out, v)
		body += size
	}
	return out, nil
}
