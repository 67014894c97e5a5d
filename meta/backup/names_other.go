//go:build !linux

package backup

import "os"

// eachName calls fn with the name of every entry of the open folder f
// (fn must not keep it), as far as it can be read.
func eachName(f *os.File, fn func(name []byte)) {
	names, _ := f.Readdirnames(-1)
	for _, name := range names {
		fn([]byte(name))
	}
}
