//go:build !windows

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	iofs "github.com/iosphotofs/iosphotofs/fs"
	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/live"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

func cmdMount(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("mount", flag.ContinueOnError)
	allowOther := fl.Bool("allow-other", false, "let other users see the mount")
	verbose := fl.Bool("v", false, "verbose: also say what was done (indexed, rebuilt, passthrough)")
	fl.BoolVar(verbose, "verbose", false, "verbose")
	decisions := fl.Bool("vv", false, "more verbose: also the decisions (each photo's date and its source, what a view leaves out)")
	debug := fl.Bool("debug", false, "log FUSE requests")
	noWatch := fl.Bool("no-watch", false, "do not follow changes to the source while mounted")
	views := addViewFlags(fl)
	views.mount = true
	pos, err := parse(fl, args, 2, 2)
	if err != nil {
		return err
	}
	src, mnt := pos[0], pos[1]
	if err := checkMountpoint(mnt); err != nil {
		return err
	}
	if err := checkFUSE(); err != nil {
		return err
	}
	level := slog.LevelWarn
	switch {
	case *decisions:
		level = slog.LevelDebug
	case *verbose || *debug:
		level = slog.LevelInfo
	}
	logger := newLogger(stderr, level)
	views.log = logger
	// Signals are caught from the start: one that came between mount(2)
	// and the handler would otherwise kill us and leave a dead mount.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// A signal while indexing ends the process at once (nothing is
	// mounted yet; its private folders go at the next start).
	indexed := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "iosphotofs: %v while indexing: not mounted\n", sig)
			os.Exit(128 + int(sig.(syscall.Signal)))
		case <-indexed:
		}
	}()
	start := time.Now()
	tree, b, opt, done, err := openSource(src, views)
	close(indexed)
	if err != nil {
		return err
	}
	defer done()
	logger.Info(fmt.Sprintf("indexed %s in %v: %d files", src, time.Since(start).Round(time.Millisecond), tree.Files))
	name := b.Info.DeviceName
	if name == "" {
		name = filepath.Base(src)
	}
	server, err := iofs.Mount(tree.Tree, mnt, iofs.Options{
		AllowOther: *allowOther, Debug: *debug, FsName: "iosphotofs:" + name,
		UID: uint32(os.Getuid()), GID: uint32(os.Getgid()),
		NoPassthrough: os.Getenv("IOSPHOTOFS_PASSTHROUGH") == "off", Log: logger,
		Progress: progressLine(os.Stderr),
	})
	if err != nil {
		return err
	}
	on, why := server.Passthrough()
	if os.Getenv("IOSPHOTOFS_PASSTHROUGH") == "off" {
		why = "IOSPHOTOFS_PASSTHROUGH=off"
	}
	logger.Info(fmt.Sprintf("passthrough reads: %s (%s)", map[bool]string{true: "on", false: "off"}[on], why))
	fmt.Fprintf(stderr, "mounted %s at %s (read-only); Ctrl-C or 'fusermount3 -u %s' unmounts\n", src, mnt, mnt)

	if !*noWatch {
		stop, err := follow(src, b, opt, server, logger)
		if err != nil {
			fmt.Fprintf(stderr, "iosphotofs: not following changes to %s: %s\n", src, errorLine(err))
		} else {
			defer stop()
		}
	}

	// A signal that came while mounting is in sigs already: it unmounts now.
	go func() {
		asked := false
		for sig := range sigs {
			err := server.Unmount()
			if err == nil {
				continue
			}
			if sig == syscall.SIGINT && !asked {
				asked = true
				fmt.Fprintf(stderr, "iosphotofs: %s is in use (%s): close the files and shells using it, or press Ctrl-C again to detach it now\n", mnt, errorLine(err))
				continue
			}
			// A service manager's stop (SIGTERM, SIGHUP), or Ctrl-C twice:
			// the mount leaves the tree of folders now, and the daemon
			// serves the files still open until they are closed.
			if err := detach(mnt); err != nil {
				fmt.Fprintf(stderr, "iosphotofs: cannot detach %s: %s\n", mnt, errorLine(err))
				continue
			}
			fmt.Fprintf(stderr, "iosphotofs: detached %s; files still open keep reading until they are closed\n", mnt)
		}
	}()
	server.Wait()
	fmt.Fprintf(stderr, "unmounted %s\n", mnt)
	return nil
}

// detach unmounts lazily: the mount goes at once, its open files later.
func detach(mnt string) error {
	var cmd *exec.Cmd
	switch {
	case runtime.GOOS == "linux" && os.Geteuid() == 0:
		return syscall.Unmount(mnt, 2) // MNT_DETACH
	case runtime.GOOS == "linux":
		cmd = exec.Command("fusermount3", "-u", "-z", mnt)
	default:
		cmd = exec.Command("umount", "-f", mnt)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// checkMountpoint gives one clear line for the usual mistakes.
func checkMountpoint(mnt string) error {
	st, err := os.Stat(mnt)
	switch {
	case errors.Is(err, syscall.ENOTCONN):
		return deadMount(mnt)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("mountpoint %s does not exist (create it with: mkdir -p %s)", mnt, mnt)
	case err != nil:
		return fmt.Errorf("mountpoint %s: %v", mnt, err)
	case !st.IsDir():
		return fmt.Errorf("mountpoint %s is not a folder", mnt)
	}
	parent, err := os.Stat(filepath.Join(mnt, ".."))
	if err == nil && !os.SameFile(st, parent) && devOf(st) != devOf(parent) {
		if err := checkAlive(mnt); err != nil {
			return err
		}
		return fmt.Errorf("mountpoint %s is busy: something is already mounted there (unmount it with: fusermount3 -u %s)", mnt, mnt)
	}
	return nil
}

func devOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev)
	}
	return 0
}

// checkFUSE says how to get FUSE when it is missing.
func checkFUSE() error {
	switch runtime.GOOS {
	case "linux":
		if _, err := os.Stat("/dev/fuse"); err != nil {
			return errors.New("FUSE is not available (/dev/fuse is missing): install fuse3 (sudo apt install fuse3) and load it (sudo modprobe fuse); without FUSE, use a plain copy of the backup instead")
		}
	case "darwin":
		if _, err := os.Stat("/Library/Filesystems/macfuse.fs"); err != nil {
			return errors.New("FUSE is not available: install macFUSE (https://macfuse.github.io, or brew install --cask macfuse) and allow its system extension")
		}
	}
	return nil
}

// follow rebuilds the tree when the source changes and serves the new one
// in place: a stream store or folder is watched through all its folders,
// a backup at its top (Manifest.db and Status.plist change there when
// Finder writes it, and a new tree is built once the snapshot is done).
func follow(src string, b *backup.Backup, opt index.Options, server *iofs.Server, logger *slog.Logger) (func(), error) {
	depth := -1
	if b.Kind != backup.NotBackup {
		depth = 0
	}
	opt.Progress, opt.Strict = nil, true
	noSecrets := func(*backup.Backup, *index.Options) error { return nil } // opt has them
	// Watched through the path it is read by (a private view): listing
	// folders to watch them updates no access time there either.
	return live.Follow(b.Dir, live.Options{
		Depth: depth, Settle: 300 * time.Millisecond, MaxDelay: 2 * time.Second,
		Rebuild: func() error {
			start := time.Now()
			tree, _, err := buildTree(b.Dir, &opt, noSecrets)
			if err != nil {
				return err
			}
			n := server.Swap(tree.Tree)
			logger.Info(fmt.Sprintf("the source changed: rebuilt in %v, %d names changed", time.Since(start).Round(time.Millisecond), n))
			return nil
		},
		Log: logger,
	})
}
