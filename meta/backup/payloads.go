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

// ScanPayloads lists every payload-looking name of a backup folder:
// flat ones (legacy layout) and those in the 256 xx/ folders (modern
// layout). Listing folders is far cheaper than probing each manifest row.
// The xx/ folders are read by several workers; when an ID is in both
// places the flat one wins (we try flat first, like other tools do).
func ScanPayloads(dir string, workers int) (map[ID]Payload, error) {
	found := make(map[ID]Payload)
	top, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var subdirs []string
	for _, e := range top {
		name := e.Name()
		switch {
		case isHexID(name) && e.Type().IsRegular():
			if id, ok := hexID(name); ok {
				found[id] = Payload{Flat: true}
			}
		case len(name) == 2 && isHex(name) && e.IsDir():
			subdirs = append(subdirs, name)
		}
	}
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for sub := range jobs {
				local := scanSubdir(filepath.Join(dir, sub), sub)
				mu.Lock()
				for id, p := range local {
					if _, flat := found[id]; !flat {
						found[id] = p
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, s := range subdirs {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	return found, nil
}

func scanSubdir(path, prefix string) map[ID]Payload {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	// Names only: asking each entry's type costs more than the listing.
	// A name that is not a regular file fails when it is opened.
	names, _ := f.Readdirnames(-1) // what could be read is kept
	out := make(map[ID]Payload, len(names))
	for _, name := range names {
		if !isHexID(name) || name[:2] != prefix {
			continue
		}
		if id, ok := hexID(name); ok {
			out[id] = Payload{}
		}
	}
	return out
}

func hexID(s string) (ID, bool) {
	var id ID
	_, err := hex.Decode(id[:], []byte(s))
	return id, err == nil
}
