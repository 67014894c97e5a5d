package backup

import (
	"encoding/hex"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Payload is a payload file found on disk. Its size is not looked up:
// one stat per payload would double the time to list a large backup; the
// manifest's size is checked when the payload is opened.
type Payload struct {
	Flat bool // at <backup>/<id> rather than <backup>/<id[:2]>/<id>
	// Odd names what the payload is when it is not a regular file (a
	// FIFO, symlink, folder, device or socket): it must not be opened.
	Odd string
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
	// odd are payload names that are not regular files, and what they are.
	mu  sync.Mutex
	odd map[ID]string
}

// Take finds a payload and removes it from the set. When an ID is in both
// places the flat one wins (we try flat first, like other tools do).
func (ps *Payloads) Take(id ID) (Payload, bool) {
	flat := remove(ps.flat, id)
	sub := remove(ps.sub[id[0]], id)
	if flat || sub {
		return Payload{Flat: flat}, true
	}
	if kind, ok := ps.odd[id]; ok {
		delete(ps.odd, id)
		return Payload{Odd: kind}, true
	}
	return Payload{}, false
}

// remove deletes id from m and reports whether it was there, looking it
// up once (a build does this for every row, and each lookup misses the
// cache).
func remove(m map[ID]struct{}, id ID) bool {
	n := len(m)
	delete(m, id)
	return len(m) < n
}

// Find looks a regular payload up without taking it.
func (ps *Payloads) Find(id ID) (Payload, bool) {
	if _, ok := ps.flat[id]; ok {
		return Payload{Flat: true}, true
	}
	_, ok := ps.sub[id[0]][id]
	return Payload{}, ok
}

// Rest calls fn for every payload not taken.
func (ps *Payloads) Rest(fn func(ID, Payload)) {
	for id, kind := range ps.odd {
		fn(id, Payload{Odd: kind})
	}
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
	ps := &Payloads{flat: map[ID]struct{}{}, odd: map[ID]string{}}
	top, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	var subdirs []string
	for _, e := range top {
		name := e.Name()
		switch {
		case len(name) == 2 && isHex(name) && e.IsDir():
			subdirs = append(subdirs, name)
		case e.Type().IsRegular():
			if id, ok := payloadID(name); ok {
				ps.flat[id] = struct{}{}
			}
		default:
			if id, ok := payloadID(name); ok {
				ps.odd[id] = srcdir.Kind(e.Type())
			}
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
				ps.sub[b[0]] = ps.scanSubdir(filepath.Join(dir, sub), sub, &ids)
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
func (ps *Payloads) scanSubdir(path, prefix string, ids *[]ID) map[ID]struct{} {
	f, err := srcdir.OpenDir(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	// The listing gives each entry's type where the filesystem keeps it
	// (most do): a payload that is not a regular file is known now, and
	// never opened. Where it does not, opening checks.
	*ids = (*ids)[:0]
	eachName(f, func(name []byte, typ byte) { // what could be read is kept
		id, ok := payloadID(name)
		switch {
		case !ok || string(name[:2]) != prefix:
		case typ == dtRegular || typ == dtUnknown:
			*ids = append(*ids, id)
		default:
			ps.mu.Lock()
			ps.odd[id] = dtKind(typ)
			ps.mu.Unlock()
		}
	})
	out := make(map[ID]struct{}, len(*ids))
	for _, id := range *ids {
		out[id] = struct{}{}
	}
	return out
}

// File types of directory entries (d_type).
const (
	dtUnknown = 0
	dtRegular = 8
)

// dtKind names the other types, as srcdir.Kind does.
func dtKind(typ byte) string {
	switch typ {
	case 1:
		return "a FIFO"
	case 2, 6:
		return "a device"
	case 4:
		return "a folder"
	case 10:
		return "a symlink"
	case 12:
		return "a socket"
	}
	return "a special file"
}

// readDir lists a folder of the source, sorted by name, as os.ReadDir
// does, without updating its access time.
func readDir(dir string) ([]os.DirEntry, error) {
	f, err := srcdir.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
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
