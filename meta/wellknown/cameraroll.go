package wellknown

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// IDSet is a set of fileIDs that answers "no" in one memory read for
// almost every ID it does not hold: a guessing search asks it millions of
// times and finds a few thousand.
type IDSet struct {
	bits []uint64 // one bit per value of an ID's first 24 bits
	ids  map[backup.ID]struct{}
}

// NewIDSet makes a set of ids.
func NewIDSet(ids []backup.ID) *IDSet {
	s := &IDSet{bits: make([]uint64, 1<<24/64), ids: make(map[backup.ID]struct{}, len(ids))}
	for _, id := range ids {
		k := prefix24(id)
		s.bits[k/64] |= 1 << (k % 64)
		s.ids[id] = struct{}{}
	}
	return s
}

func prefix24(id backup.ID) uint32 { return uint32(id[0])<<16 | uint32(id[1])<<8 | uint32(id[2]) }

// Has reports whether id is in the set.
func (s *IDSet) Has(id backup.ID) bool {
	k := prefix24(id)
	if s.bits[k/64]&(1<<(k%64)) == 0 {
		return false
	}
	_, ok := s.ids[id]
	return ok
}

// Camera-roll names: Media/DCIM/<NNN>APPLE/IMG_<NNNN>.<EXT> for folders
// 100-999 and numbers 0001-9999, with the edited (IMG_E) and sidecar
// (IMG_O) variants and the edit's render under Mutations (FORMATS.md 1.6).
const (
	FirstFolder, LastFolder = 100, 999
	lastNumber              = 9999
)

// suffixes are what follows "IMG_" and the four digits; each is one
// candidate per number.
var suffixes = func() []candidate {
	var out []candidate
	for _, ext := range []string{"JPG", "HEIC", "MOV", "PNG", "AAE", "MP4", "GIF", "JPEG", "DNG", "WEBP"} {
		out = append(out, candidate{ext: "." + ext})
	}
	for _, ext := range []string{"JPG", "HEIC", "MOV", "PNG", "MP4"} {
		out = append(out, candidate{letter: "E", ext: "." + ext})
	}
	out = append(out, candidate{letter: "O", ext: ".AAE"})
	for _, render := range []string{"FullSizeRender.jpg", "FullSizeRender.heic", "FullSizeRender.mov", "Adjustments.plist"} {
		out = append(out, candidate{mutation: "/Adjustments/" + render})
	}
	return out
}()

// candidate is one name pattern: IMG_<letter><NNNN><ext> in the DCIM
// folder, or, with mutation set, a file in the edit folder of IMG_<NNNN>.
type candidate struct {
	letter, ext string
	mutation    string
}

// CandidatesPerFolder is how many names one DCIM folder is searched for.
var CandidatesPerFolder = lastNumber * len(suffixes)

// SearchOptions bound a camera-roll search.
type SearchOptions struct {
	Workers int
	// All searches every folder; otherwise the search stops at the second
	// folder in a row without a hit, but never before AtLeastTo.
	All       bool
	AtLeastTo int
	// Progress, if set, is called after each folder with its number.
	Progress func(folder int)
}

// SearchResult is what a search found and how much it tried.
type SearchResult struct {
	Found      []Path
	Folders    int   // folders searched
	Candidates int64 // names hashed
}

// SearchCameraRoll hashes camera-roll names and keeps those whose fileID
// is in ids. Folders are searched in order, each split among the workers.
func SearchCameraRoll(ids *IDSet, opt SearchOptions) SearchResult {
	workers := max(opt.Workers, 1)
	var res SearchResult
	lastHit := FirstFolder - 1
	for folder := FirstFolder; folder <= LastFolder; folder++ {
		if !opt.All && folder > lastHit+2 && folder > opt.AtLeastTo {
			break
		}
		found := make([][]Path, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				from, to := 1+lastNumber*w/workers, lastNumber*(w+1)/workers
				found[w] = searchNumbers(ids, folder, from, to)
			})
		}
		wg.Wait()
		for _, f := range found {
			if len(f) > 0 {
				lastHit = folder
			}
			res.Found = append(res.Found, f...)
		}
		res.Folders++
		res.Candidates += int64(CandidatesPerFolder)
		if opt.Progress != nil {
			opt.Progress(folder)
		}
	}
	return res
}

// searchNumbers tries the names of numbers from..to (inclusive) of one
// folder, building each name in place in one buffer.
func searchNumbers(ids *IDSet, folder, from, to int) []Path {
	const domain = "CameraRollDomain-"
	dcim := fmt.Sprintf("Media/DCIM/%03dAPPLE/IMG_", folder)
	mut := fmt.Sprintf("Media/PhotoData/Mutations/DCIM/%03dAPPLE/IMG_", folder)
	var found []Path
	buf := make([]byte, 0, 128)
	var digits [4]byte
	for n := from; n <= to; n++ {
		binary.BigEndian.PutUint32(digits[:], uint32('0'+n/1000)<<24|uint32('0'+n/100%10)<<16|uint32('0'+n/10%10)<<8|uint32('0'+n%10))
		for _, c := range suffixes {
			buf = append(buf[:0], domain...)
			if c.mutation == "" {
				buf = append(buf, dcim...)
				buf = append(buf, c.letter...)
				buf = append(buf, digits[:]...)
				buf = append(buf, c.ext...)
			} else {
				buf = append(buf, mut...)
				buf = append(buf, digits[:]...)
				buf = append(buf, c.mutation...)
			}
			if ids.Has(sha1.Sum(buf)) {
				found = append(found, Path{"CameraRollDomain", string(buf[len(domain):])})
			}
		}
	}
	return found
}
