// Package atomicfile writes files that are either whole or not there: a
// crash never leaves half of one.
package atomicfile

import (
	"io"
	"os"
	"path/filepath"
)

// Write fills a temporary file beside path (named prefix and a random
// tail, so a folder's readers can skip them) and renames it to path.
func Write(path, prefix string, fill func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), prefix+"*")
	if err != nil {
		return err
	}
	err = fill(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
