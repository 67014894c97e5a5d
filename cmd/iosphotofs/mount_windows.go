package main

import (
	"errors"
	"io"
)

// cmdMount explains what Windows users have instead: go-fuse has no
// Windows support.
func cmdMount([]string, io.Writer) error {
	return errors.New("mount is not available on Windows (there is no FUSE for it here): use 'iosphotofs extract SOURCE DEST', which writes the same tree into a folder")
}
