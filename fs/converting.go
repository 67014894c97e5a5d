//go:build !windows

package fs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/iosphotofs/iosphotofs/model"
)

// converting tells, at most once a second, how far the files made on
// demand that a listing asked for (HEIC photos' JPEG copies) have got, so
// that a listing whose stats wait on them is not a silent wait.
type converting struct {
	report func(what string, done, total int) // nil: nothing is told
	mu     sync.Mutex
	queued map[string]map[model.Pending]bool // by folder
	ticker bool
}

// add records that the listing of folder queued jobs.
func (c *converting) add(folder string, jobs []model.Pending) {
	if c.report == nil || len(jobs) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.queued == nil {
		c.queued = map[string]map[model.Pending]bool{}
	}
	if c.queued[folder] == nil {
		c.queued[folder] = map[model.Pending]bool{}
	}
	for _, j := range jobs {
		c.queued[folder][j] = true // a folder listed again is counted once
	}
	if !c.ticker {
		c.ticker = true
		go c.tell()
	}
}

// tell reports each folder's progress every second until all are done.
func (c *converting) tell() {
	for {
		time.Sleep(time.Second)
		c.mu.Lock()
		for folder, jobs := range c.queued {
			done := 0
			for j := range jobs {
				if j.Ready() {
					done++
				}
			}
			c.report(fmt.Sprintf("converting %d HEIC photos for %s", len(jobs), folder), done, len(jobs))
			if done == len(jobs) {
				delete(c.queued, folder)
			}
		}
		if len(c.queued) == 0 {
			c.ticker = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// pathOf is a folder's path in the tree ("" for the root).
func pathOf(t *model.Tree, dir *model.Node) string {
	var names []string
	for n := dir; n != t.Root; n = t.Parent(n) {
		names = append(names, n.Name)
	}
	slices.Reverse(names)
	return strings.Join(names, "/")
}
