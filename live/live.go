// Package live follows a source while it is mounted: it watches the
// source's folders (fsnotify) and, once changes have settled, has the
// tree rebuilt and served in place of the old one. A rebuild that fails
// (a database caught half-written, a backup mid-snapshot) keeps the old
// tree; the next change tries again.
package live

import (
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tune a Follow.
type Options struct {
	// Depth is how many folder levels below the source are watched (0:
	// the source folder only; -1: all).
	Depth int
	// Settle is how long changes must pause before a rebuild; a stream
	// of changes still rebuilds at least every MaxDelay.
	Settle, MaxDelay time.Duration
	// Rebuild builds and serves a new tree; an error keeps the old one.
	Rebuild func() error
	// Log is told of rebuilds kept back (the old tree stays served) and
	// of watches that could not be set; nil: nothing is logged.
	Log *slog.Logger
}

// Follow watches dir until stop is called.
func Follow(dir string, opt Options) (stop func(), err error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	f := &follower{w: w, dir: dir, opt: opt}
	f.watchTree(dir)
	done := make(chan struct{})
	go f.loop(done)
	return func() {
		w.Close()
		<-done
	}, nil
}

type follower struct {
	w   *fsnotify.Watcher
	dir string
	opt Options
}

// watchTree watches a folder and its subfolders down to the depth asked.
func (f *follower) watchTree(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if f.opt.Depth >= 0 && f.depth(p) > f.opt.Depth {
			return filepath.SkipDir
		}
		if err := f.w.Add(p); err != nil {
			f.opt.Log.Warn("not watching a folder of the source", "folder", p, "err", err)
		}
		return nil
	})
}

func (f *follower) depth(p string) int {
	rel, err := filepath.Rel(f.dir, p)
	if err != nil || rel == "." {
		return 0
	}
	n := 1
	for _, c := range rel {
		if c == filepath.Separator {
			n++
		}
	}
	return n
}

func (f *follower) loop(done chan struct{}) {
	defer close(done)
	var settle, deadline <-chan time.Time
	rebuild := func() {
		settle, deadline = nil, nil
		if err := f.opt.Rebuild(); err != nil {
			f.opt.Log.Warn("the source changed, but the new tree could not be built: the old one is still served", "err", err)
		}
	}
	for {
		select {
		case ev, ok := <-f.w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				// A new folder (a new stream or asset) is watched too.
				f.watchTree(ev.Name)
			}
			settle = time.After(f.opt.Settle)
			if deadline == nil {
				deadline = time.After(f.opt.MaxDelay)
			}
		case err, ok := <-f.w.Errors:
			if !ok {
				return
			}
			f.opt.Log.Warn("watching the source", "err", err)
		case <-settle:
			rebuild()
		case <-deadline:
			rebuild()
		}
	}
}
