package main

import (
	"flag"
	"fmt"
	"github.com/iosphotofs/iosphotofs/model"
	"io"
	"time"

	"github.com/iosphotofs/iosphotofs/index"
)

// cmdConvert makes the JPEG copy of every HEIC photo of SOURCE into the
// cache, so that later mounts with --heic-jpeg serve them at once. What
// is cached already is skipped: an interrupted run goes on where it was.
func cmdConvert(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("convert", flag.ContinueOnError)
	views := addViewFlags(fl)
	pos, err := parse(fl, args, 1, 1)
	if err != nil {
		return err
	}
	if *views.noCache {
		return usageError{"convert fills the cache: --no-cache would throw its work away"}
	}
	*views.heicJPEG = index.HEICAlongside
	tree, _, _, done, err := openSource(pos[0], views)
	if err != nil {
		return err
	}
	defer done()
	var twins []model.Pending
	seen := map[uint64]bool{}
	var walk func(*model.Node)
	walk = func(d *model.Node) {
		for _, c := range d.Children {
			if p, ok := c.Content.(model.Pending); ok && !seen[c.Ino] {
				seen[c.Ino] = true
				twins = append(twins, p)
			}
			if c.IsDir() {
				walk(c)
			}
		}
	}
	walk(tree.Root)
	var todo []model.Pending
	for _, t := range twins {
		if !t.Ready() {
			t.Prefetch()
			todo = append(todo, t)
		}
	}
	cached := len(twins) - len(todo)
	start, last := time.Now(), time.Time{}
	var bytes int64
	failed := 0
	for i, t := range todo {
		size, err := t.Size()
		if err != nil {
			failed++
		}
		bytes += size
		if done := i + 1; time.Since(last) > 200*time.Millisecond || done == len(todo) {
			last = time.Now()
			fmt.Fprintf(stderr, "\rJPEG copies: %d of %d made (%s)%s", done, len(todo), index.HumanBytes(bytes), eta(start, done, len(todo)-done))
		}
	}
	if len(todo) > 0 {
		fmt.Fprintln(stderr)
	}
	fmt.Fprintf(stderr, "%d HEIC photos: %d copies were cached already, %d made, %d cannot be converted (the mount's info/problems.txt says why)\n",
		len(twins), cached, len(todo)-failed, failed)
	return nil
}

// eta says how fast copies are made and when the rest will be done.
func eta(start time.Time, made, left int) string {
	if made == 0 {
		return ""
	}
	per := time.Since(start) / time.Duration(made)
	return fmt.Sprintf(", %.1f/s, %v left", 1/per.Seconds(), (per * time.Duration(left)).Round(time.Second))
}
