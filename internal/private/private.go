// Package private makes the folders where iosphotofs keeps what it must
// write while it reads a source (copies of databases, decrypted ones
// included; JPEGs without a cache): readable by the user only, named after
// the process, removed when done, and by a later start when the process
// was killed before it could.
package private

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const prefix = "iosphotofs-"

// Dir makes a new private folder for kind of content ("db", "manifest",
// "jpeg"); the caller removes it when done.
func Dir(kind string) (string, error) {
	return os.MkdirTemp("", fmt.Sprintf("%s%s-%d-", prefix, kind, os.Getpid()))
}

// RemoveLeftovers removes the private folders of this user's iosphotofs
// processes that are gone (killed, say, with a decrypted Manifest.db in
// one), and returns what it removed.
func RemoveLeftovers() []string {
	tmp := os.TempDir()
	entries, _ := os.ReadDir(tmp)
	var removed []string
	for _, e := range entries {
		pid, ok := pidOf(e.Name())
		if !ok || !e.IsDir() || alive(pid) {
			continue
		}
		p := filepath.Join(tmp, e.Name())
		if fi, err := os.Lstat(p); err != nil || !ownedByUs(fi) {
			continue
		}
		if os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// pidOf reads the process ID from a private folder's name,
// "iosphotofs-<kind>-<pid>-<random>".
func pidOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	parts := strings.Split(rest, "-")
	if len(parts) != 3 {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	return pid, err == nil && pid > 0
}
