package backup

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
)

// Payload is a payload file found on disk. Its size is not looked up:
// one stat per payload would double the time to list a large backup; the
// manifest's size is checked when the payload is opened.
type Payload struct {
	Flat bool // at <backup>/<id> rather than <backup>/<id[:2]>/<id>
}

// Path returns the payload's path relative to the backup folder.
func (p Payload) Path(id ID) string {
	s := id.String()
	if p.Flat {
		return s
	}
	return s[:2] + "/" + s
}

// Payloads is the set of payload files found in a backup folder. Rows
// Take theirs; what is left names no row (orphans).
type Payloads struct {
	flat map[ID]struct{}
	sub  [256]map[ID]struct{} // the xx/ folders, by the ID's first byte
}

// Take finds a payload and removes it from the set. When an ID is in both
// places the flat one wins (we try flat first, like other tools do).
func (ps *Payloads) Take(id ID) (Payload, bool) {
	flat := remove(ps.flat, id)
	sub := remove(ps.sub[id[0]], id)
	return Payload{Flat: flat}, flat || sub
}

// remove deletes id from m and reports whether it was there, looking it
// up once (a build does this for every row, and each lookup misses the
// cache).
func remove(m map[ID]struct{}, id ID) bool {
	n := len(m)
	delete(m, id)
	return len(m) < n
}

// Rest calls fn for every payload not taken.
func (ps *Payloads) Rest(fn func(ID, Payload)) {
	for id := range ps.flat {
		fn(id, Payload{Flat: true})
	}
	for _, m := range ps.sub {
		for id := range m {
			if _, flat := ps.flat[id]; !flat {
				fn(id, Payload{})
			}
		}
	}
}

// ScanPayloads lists every payload-looking name of a backup folder:
// flat ones (legacy layout) and those in the 256 xx/ folders (modern
// layout), the xx/ folders by several workers. Listing folders is far
// cheaper than probing each manifest row.
func ScanPayloads(dir string, workers int) (*Payloads, error) {
	ps := &Payloads{flat: map[ID]struct{}{}}
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var subdirs []string
	for _, e := range top {
		name := e.Name()
		switch {
		case e.Type().IsRegular():
			if id, ok := payloadID(name); ok {
				ps.flat[id] = struct{}{}
			}
		case len(name) == 2 && isHex(name) && e.IsDir():
			subdirs = append(subdirs, name)
		}
	}
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			var ids []ID
			for sub := range jobs {
				b, _ := hex.DecodeString(sub)
				// Each folder has its own map: workers share nothing.
				ps.sub[b[0]] = scanSubdir(filepath.Join(dir, sub), sub, &ids)
			}
		})
	}
	for _, s := range subdirs {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	return ps, nil
}

// scanSubdir lists the payloads of one xx/ folder; ids is scratch space
// (kept between folders by the caller).
func scanSubdir(path, prefix string, ids *[]ID) map[ID]struct{} {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	// Names only: asking each entry's type costs more than the listing.
	// A name that is not a regular file fails when it is opened.
	*ids = (*ids)[:0]
	eachName(f, func(name []byte) { // what could be read is kept
		if id, ok := payloadID(name); ok && string(name[:2]) == prefix {
			*ids = append(*ids, id)
		}
	})
	out := make(map[ID]struct{}, len(*ids))
	for _, id := range *ids {
		out[id] = struct{}{}
	}
	return out
}

// payloadID reads a payload's name: a fileID in 40 lowercase hex digits.
// It runs once for every payload of a backup.
func payloadID[S string | []byte](name S) (id ID, ok bool) {
	if len(name) != 2*len(id) {
		return id, false
	}
	for i := range id {
		hi, lo := hexDigit[name[2*i]], hexDigit[name[2*i+1]]
		if hi|lo > 0x0f {
			return id, false
		}
		id[i] = hi<<4 | lo
	}
	return id, true
}

// hexDigit maps '0'-'9' and 'a'-'f' to their values, every other byte to 0xff.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i, c := range "0123456789abcdef" {
		t[c] = byte(i)
	}
	return t
}()
