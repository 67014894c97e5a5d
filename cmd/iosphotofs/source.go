package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/iosphotofs/iosphotofs/convert"
	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/streams"
)

// viewFlags are the flags that shape the tree, for mount and info.
type viewFlags struct {
	names        *string
	cacheDir     *string
	noCache      *bool
	passwordFile *string
	key          *string
	keyFile      *string
	heicJPEG     *string
	jpegQuality  *int
	jpegCacheMiB *int64
	jpegWorkers  *int
	// mount: the tree is for a mount (Spotlight is kept out of it on macOS).
	mount bool
	// log is where the library's warnings and decisions go.
	log *slog.Logger
}

func addViewFlags(fl *flag.FlagSet) viewFlags {
	return viewFlags{
		names:        fl.String("names", "original", "file names in the photo views: original or date (YYYY.MM.DD.HH.MM.SS.ext)"),
		cacheDir:     fl.String("cache-dir", "", "where to keep what photo headers said (default: the user cache folder)"),
		noCache:      fl.Bool("no-cache", false, "read every photo header, keep nothing"),
		passwordFile: fl.String("password-file", "", "file holding the password of an encrypted backup"),
		key:          fl.String("key", "", "derived key of an encrypted backup (64 hex digits, from 'iosphotofs key'); other users can read it in ps: prefer --key-file"),
		keyFile:      fl.String("key-file", "", "file holding the derived key of an encrypted backup (or IOSPHOTOFS_KEY)"),
		heicJPEG:     fl.String("heic-jpeg", index.HEICOff, "JPEG copies of HEIC photos in the photo views: off, alongside or instead"),
		jpegQuality:  fl.Int("jpeg-quality", 92, "quality of the JPEG copies (1-100)"),
		jpegCacheMiB: fl.Int64("jpeg-cache-mib", 4096, "most MiB the cache of JPEG copies keeps (the least recently used go first)"),
		jpegWorkers:  fl.Int("jpeg-workers", runtime.NumCPU(), "HEIC photos converted at once (memory allowing)"),
		log:          newLogger(os.Stderr, slog.LevelInfo),
	}
}

// buildMemory is the heap a build may grow to before it collects.
const buildMemory = 768 << 20

// convertMemory bounds the memory of the HEIC conversions in flight (a 24
// MP photo takes about 1.4 GB through the WASM decoder, most of it the
// decoder's), and is the process's soft memory limit while they run, so
// the collector frees one conversion's garbage before the next one's.
const convertMemory = 2 << 30

// options turns the flags into index options; done stops what they
// started (the JPEG converter).
func (v viewFlags) options() (opt index.Options, done func(), err error) {
	done = func() {}
	if *v.names != "original" && *v.names != "date" {
		return opt, done, usageError{fmt.Sprintf("--names must be original or date, not %q", *v.names)}
	}
	switch *v.heicJPEG {
	case index.HEICOff, index.HEICAlongside, index.HEICInstead:
	default:
		return opt, done, usageError{fmt.Sprintf("--heic-jpeg must be off, alongside or instead, not %q", *v.heicJPEG)}
	}
	if *v.jpegQuality < 1 || *v.jpegQuality > 100 {
		return opt, done, usageError{fmt.Sprintf("--jpeg-quality must be 1 to 100, not %d", *v.jpegQuality)}
	}
	opt = index.Options{Workers: runtime.NumCPU(), NamesByDate: *v.names == "date", CacheDir: *v.cacheDir, HEICJPEG: *v.heicJPEG,
		NeverIndex: v.mount && runtime.GOOS == "darwin", Log: v.log}
	if opt.CacheDir == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			opt.CacheDir = filepath.Join(dir, "iosphotofs")
		}
	}
	if *v.noCache {
		opt.CacheDir = ""
	}
	opt.Progress = progressLine(os.Stderr)
	if opt.HEICJPEG == index.HEICOff {
		return opt, done, nil
	}
	jpegDir := ""
	if opt.CacheDir != "" {
		jpegDir = filepath.Join(opt.CacheDir, "jpeg")
	}
	cache, err := convert.OpenCache(jpegDir, *v.jpegCacheMiB<<20)
	if err != nil {
		return opt, done, fmt.Errorf("the cache of JPEG copies: %w", err)
	}
	opt.Convert = convert.NewPool(cache, *v.jpegQuality, *v.jpegWorkers, convertMemory)
	debug.SetMemoryLimit(convertMemory)
	opt.Convert.Failed = func(name string, err error) { v.log.Warn("no JPEG copy", "file", name, "err", err) }
	opt.Convert.Fallback = wasmInChild
	opt.Convert.Log = v.log
	return opt, func() {
		opt.Convert.Close()
		if n := opt.Convert.Converted.Load(); n > 0 && jpegDir != "" {
			v.log.Info(fmt.Sprintf("made %d JPEG copies of HEIC photos (kept in %s)", n, jpegDir))
		}
		cache.Close()
	}, nil
}

// progressLine shows how far a long step is, on a terminal only, at most
// ten times a second.
func progressLine(w *os.File) func(what string, done, total int) {
	if !isTerminal(w) {
		return nil
	}
	var last time.Time
	return func(what string, done, total int) {
		if done != total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		if total == 0 {
			fmt.Fprintf(w, "\r%s: %d", what, done)
			return
		}
		fmt.Fprintf(w, "\r%s: %d of %d", what, done, total)
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

// openSource detects SOURCE (a backup, a stream store, else a folder of
// photos) and builds its tree, reading it through a private view where one
// can be made (srcdir.View: no access time is updated, even by
// passthrough reads); it returns the options the tree was built with (and
// its secrets), and the backup, whose Dir is the path to read, for
// rebuilds; done stops what the tree needs while it is served.
func openSource(src string, flags viewFlags) (*index.Tree, *backup.Backup, index.Options, func(), error) {
	if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, index.Options{}, func() {}, fmt.Errorf("%s: no such folder", src)
	}
	if err := checkAlive(src); err != nil {
		return nil, nil, index.Options{}, func() {}, err
	}
	opt, stop, err := flags.options()
	if err != nil {
		return nil, nil, opt, stop, err
	}
	read, closeView := srcdir.View(src)
	done := func() {
		stop()
		closeView()
	}
	opt.Name = src
	// The first build makes much short-lived garbage and little that
	// lives: the collector waits until the heap nears buildMemory (a
	// 300k-row build peaks at about 190 MB, and was 8% faster for it), and
	// the memory is given back once the tree is done (in the background:
	// the mount is ready first). Rebuilds of a live mount, which may run
	// beside HEIC conversions, keep the process's settings.
	oldGC, oldLimit := debug.SetGCPercent(-1), debug.SetMemoryLimit(buildMemory)
	tree, b, err := buildTree(read, &opt, flags.secrets)
	debug.SetGCPercent(oldGC)
	debug.SetMemoryLimit(oldLimit)
	go debug.FreeOSMemory()
	if err != nil {
		done()
	}
	return tree, b, opt, done, err
}

// checkAlive reads a folder's first name, which a stat may not do: a
// FUSE mount whose daemon was killed keeps its root's attributes in the
// kernel's cache, and only a request to it fails (ENOTCONN).
func checkAlive(dir string) error {
	f, err := srcdir.OpenDir(dir)
	if err == nil {
		_, err = f.Readdirnames(1)
		f.Close()
	}
	if errors.Is(err, syscall.ENOTCONN) {
		return deadMount(dir)
	}
	return nil
}

func deadMount(dir string) error {
	return fmt.Errorf("%s is a dead mount left by a killed iosphotofs: clear it with: %s", dir, unmountCommand(dir))
}

// unmountCommand is how a user unmounts dir on this system.
func unmountCommand(dir string) string {
	if runtime.GOOS == "linux" {
		return "fusermount3 -u " + dir
	}
	return "umount " + dir
}

// buildTree builds the tree of the source read at read (opt.Name is how
// the user named it); secrets fills in an encrypted backup's password or
// key.
func buildTree(read string, opt *index.Options, secrets func(*backup.Backup, *index.Options) error) (*index.Tree, *backup.Backup, error) {
	src := opt.Name
	b, err := backup.Detect(read)
	var tree *index.Tree
	switch {
	case errors.Is(err, backup.ErrNotBackup):
		b = &backup.Backup{Dir: read}
		if layout := streams.Detect(read); layout != streams.NotStore {
			tree, err = index.FromStreams(read, layout, *opt)
		} else {
			// Any other folder is taken as a folder of photos.
			tree, err = index.FromFolder(read, *opt)
		}
	case err != nil:
		return nil, nil, err
	default:
		if err = secrets(b, opt); err != nil {
			return nil, nil, wrapPasswordError(src, err)
		}
		tree, err = index.FromBackup(b, *opt)
		err = wrapPasswordError(src, err)
	}
	var wp errWrongPassword
	if errors.As(err, &wp) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", src, err)
	}
	return tree, b, nil
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
