package main

import (
	"errors"
	"testing"
)

// Errors reach the user as one line, whatever another program printed,
// and go-fuse's raw wait statuses say the exit status they hold.
func TestErrorLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"fusermount exited with code 256\n", "fusermount exited with status 1"},
		{"mount /x: fusermount3: mount failed: Operation not permitted\n\nfusermount exited with code 512\n", "mount /x: fusermount3: mount failed: Operation not permitted fusermount exited with status 2"},
		{"exited with code 3", "exited with code 3"},
		{"plain", "plain"},
	} {
		if got := errorLine(errors.New(c.in)); got != c.want {
			t.Errorf("errorLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
