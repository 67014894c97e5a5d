//go:build !linux

package backup

import "os"

// eachName calls fn with the name of every entry of the open folder f
// (fn must not keep it), as far as it can be read; the type is not known
// here (opening a payload checks it).
func eachName(f *os.File, fn func(name []byte, typ byte)) {
	names, _ := f.Readdirnames(-1)
	for _, name := range names {
		fn([]byte(name), dtUnknown)
	}
}
