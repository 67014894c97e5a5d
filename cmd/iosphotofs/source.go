package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// namesFlag adds --names original|date to a command's flags.
func namesFlag(fl *flag.FlagSet) *string {
	return fl.String("names", "original", "file names in the photo views: original or date (YYYY.MM.DD.HH.MM.SS.ext)")
}

// openSource detects SOURCE (a backup, else a folder of photos) and builds
// its tree; names is the --names flag.
func openSource(src, names string) (*index.Tree, *backup.Backup, error) {
	if names != "original" && names != "date" {
		return nil, nil, usageError{fmt.Sprintf("--names must be original or date, not %q", names)}
	}
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%s: no such folder", src)
	}
	opt := index.Options{Workers: runtime.NumCPU(), NamesByDate: names == "date"}
	// A build makes much short-lived garbage and little that lives; a
	// lazier collector during it saves time, and the memory is given back
	// once the tree is done (in the background: the mount is ready first).
	old := debug.SetGCPercent(400)
	defer func() {
		debug.SetGCPercent(old)
		go debug.FreeOSMemory()
	}()
	b, err := backup.Detect(src)
	var tree *index.Tree
	switch {
	case errors.Is(err, backup.ErrNotBackup):
		// Any other folder is taken as a folder of photos.
		b = &backup.Backup{Dir: src}
		tree, err = index.FromFolder(src, opt)
	case err != nil:
		return nil, nil, err
	default:
		tree, err = index.FromBackup(b, opt)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src, err)
	}
	return tree, b, nil
}
