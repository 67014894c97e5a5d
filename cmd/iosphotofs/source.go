package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

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
	tree, err := index.FromBackup(b, index.Options{Workers: runtime.NumCPU()})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src, err)
	}
	return tree, b, nil
}
