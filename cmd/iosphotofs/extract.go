package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/iosphotofs/iosphotofs/extract"
	"github.com/iosphotofs/iosphotofs/index"
)

// cmdExtract writes the tree the mount would show into a real folder.
func cmdExtract(args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("extract", flag.ContinueOnError)
	copies := fl.Bool("copies", false, "write a photo in several views once per view instead of hard-linking it")
	dryRun := fl.Bool("dry-run", false, "print what would be written, write nothing")
	views := addViewFlags(fl)
	pos, err := parse(fl, args, 2, 1<<20)
	if err != nil {
		return err
	}
	src, dest := pos[0], pos[1]
	if err := checkDest(src, dest); err != nil {
		return err
	}
	tree, _, _, done, err := openSource(src, views)
	if err != nil {
		return err
	}
	defer done()
	cancel := make(chan struct{})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			close(cancel)
		}
	}()
	opt := extract.Options{Views: pos[2:], Copies: *copies, DryRun: *dryRun, Cancel: cancel,
		WindowsNames: runtime.GOOS == "windows", Progress: extractProgress(stderr)}
	if *dryRun {
		opt.Plan = func(action, path string) { fmt.Fprintf(stdout, "%s %s\n", action, path) }
	}
	st, err := extract.Run(tree.Tree, dest, opt)
	fmt.Fprintf(stderr, "%d files written (%s), %d hard links, %d unchanged, %d symlinks\n",
		st.Files, index.HumanBytes(st.Bytes), st.Linked, st.Skipped, st.Symlinks)
	if st.NoSymlinks > 0 {
		fmt.Fprintf(stderr, "%d symlinks left out: this system would not make them (on Windows, Developer Mode allows it)\n", st.NoSymlinks)
	}
	for _, u := range st.Unreadable {
		fmt.Fprintf(stderr, "iosphotofs: not written, unreadable in the source: %s\n", errorLine(errors.New(u)))
	}
	if errors.Is(err, extract.ErrUnreadable) {
		return fmt.Errorf("%d files could not be read from the source (listed above); everything else was written", len(st.Unreadable))
	}
	return err
}

// checkDest refuses a destination inside the source: nothing is ever
// written there.
func checkDest(src, dest string) error {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		// The deepest part of the path that exists, with links followed.
		for dir, rest := a, ""; ; dir, rest = filepath.Dir(dir), filepath.Join(filepath.Base(dir), rest) {
			if real, err := filepath.EvalSymlinks(dir); err == nil {
				return filepath.Join(real, rest)
			}
			if filepath.Dir(dir) == dir {
				return a
			}
		}
	}
	s, d := abs(src), abs(dest)
	if d == s || strings.HasPrefix(d, s+string(filepath.Separator)) {
		return errors.New("the destination is inside the source: iosphotofs never writes into a source")
	}
	return nil
}

// extractProgress shows files, bytes, rate and time left, on a terminal
// only, at most five times a second.
func extractProgress(w io.Writer) func(extract.Stats) {
	if f, ok := w.(*os.File); !ok || !isTerminal(f) {
		return nil
	}
	start, last := time.Now(), time.Time{}
	return func(st extract.Stats) {
		done := st.Files + st.Linked + st.Skipped
		if done != st.Total && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		rate := float64(st.Bytes) / time.Since(start).Seconds()
		fmt.Fprintf(w, "\rextracting: %d of %d files, %s, %s/s%s", done, st.Total, index.HumanBytes(st.Bytes), index.HumanBytes(int64(rate)), eta(start, done, st.Total-done))
		if done == st.Total {
			fmt.Fprintln(w)
		}
	}
}
