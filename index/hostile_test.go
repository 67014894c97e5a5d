//go:build unix

package index

import (
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// Each hostile source builds within a few seconds, says what is wrong in
// one line, and the rest of its tree reads: nothing blocks on a FIFO,
// follows a symlink out of the backup, or reads a device.
func TestHostileSources(t *testing.T) {
	for _, h := range fixture.HostileBackups() {
		t.Run(h.Name, func(t *testing.T) {
			b, err := fixture.Sample(false)
			dir := fixture.WriteTemp(t, b, err)
			if err := h.Apply(dir); err != nil {
				t.Fatal(err)
			}
			done := make(chan *Tree, 1)
			go func() { done <- backupTree(t, dir) }()
			var tree *Tree
			select {
			case tree = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the build did not end in 10 s")
			}
			if !hasProblem(tree, h.Problem) {
				t.Errorf("no problem line with %q:\n%s", h.Problem, strings.Join(tree.Summary().Problems, "\n"))
			}
			if h.Shows != "" {
				if tree.Root.Walk(h.Shows) == nil {
					t.Errorf("%s is not there", h.Shows)
				}
				return
			}
			n := tree.Root.Walk("files/HomeDomain/Documents/dup.txt")
			if n == nil {
				t.Fatal("the rest of the tree is gone")
			}
			r, err := n.Content.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := make([]byte, 6)
			if _, err := r.ReadAt(got, 0); err != nil || string(got) != "first\n" {
				t.Errorf("dup.txt reads %q, %v", got, err)
			}
		})
	}
}
