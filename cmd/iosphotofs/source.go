package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// openSource detects SOURCE and builds its tree.
func openSource(src string) (*index.Tree, *backup.Backup, error) {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: no such folder", src)
	}
	b, err := backup.Detect(src)
	if err != nil {
		return nil, nil, err
	}
	// A build makes much short-lived garbage and little that lives; a
	// lazier collector during it saves time, and the memory is given back
	// once the tree is done (in the background: the mount is ready first).
	old := debug.SetGCPercent(400)
	tree, err := index.FromBackup(b, index.Options{Workers: runtime.NumCPU()})
	debug.SetGCPercent(old)
	go debug.FreeOSMemory()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src, err)
	}
	return tree, b, nil
}
