package sqlitefile

import (
	"math"
	"strings"
)

// Float returns a number column as a float.
func (v Value) Float() (float64, bool) {
	if v.typ == 7 {
		return math.Float64frombits(uint64(v.num)), true
	}
	n, ok := v.Int()
	return float64(n), ok
}

// Any returns the column as database/sql gives it: nil, int64, float64,
// string or []byte (a new slice).
func (v Value) Any() any {
	switch {
	case v.typ == 0:
		return nil
	case v.typ == 7:
		f, _ := v.Float()
		return f
	case v.typ >= 13 && v.typ%2 == 1:
		return string(v.bytes)
	case v.typ >= 12:
		return append([]byte(nil), v.bytes...)
	}
	n, _ := v.Int()
	return n
}

// Rows calls fn with the named columns (found case-blind in the table's
// CREATE TABLE) of every row of a table, in key order: a column the table
// lacks, or that a row's record is too short to hold (one added by ALTER
// TABLE after the row was written), is NULL; the INTEGER PRIMARY KEY
// column is the row's rowid. vals is reused between calls, and its text
// and blobs alias the page. A damaged page ends the read with its error.
func (db *DB) Rows(table string, want []string, fn func(vals []Value) error) error {
	t, err := db.Table(table)
	if err != nil {
		return err
	}
	const absent, rowid = -1, -2
	idx := make([]int, len(want))
	for i, w := range want {
		idx[i] = absent
		for j, c := range t.Columns {
			if strings.EqualFold(c, w) {
				idx[i] = j
			}
		}
		if idx[i] >= 0 && idx[i] == t.Rowid {
			idx[i] = rowid
		}
	}
	need := 0 // columns to decode
	for _, j := range idx {
		need = max(need, j+1)
	}
	leaves, err := db.leaves(t.Root)
	if err != nil {
		return err
	}
	c := db.newCursor()
	var cols []Value
	vals := make([]Value, len(want))
	visit := func(rec []byte, rowErr error) error {
		if rowErr != nil {
			return rowErr
		}
		if cols, err = valuesUpTo(rec, cols, need); err != nil {
			return err
		}
		for i, j := range idx {
			switch {
			case j == rowid:
				vals[i] = Value{typ: 6, num: c.rowid}
			case j >= 0 && j < len(cols):
				vals[i] = cols[j]
			default:
				vals[i] = Value{}
			}
		}
		return fn(vals)
	}
	for _, leaf := range leaves {
		if err := c.leaf(leaf, visit); err != nil {
			return err
		}
	}
	return nil
}
