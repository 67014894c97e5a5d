package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// Every hostile source mounts with one line in problems.txt, the rest of
// its tree reads, and nothing a reader does blocks: a FIFO payload is not
// shown (reading it hung the reader for the daemon's life), a top-level
// plist that is a FIFO or a symlink to /dev/zero is not read.
func TestHostileMounts(t *testing.T) {
	for _, h := range fixture.HostileBackups() {
		t.Run(h.Name, func(t *testing.T) {
			b, err := fixture.Sample(false)
			src := fixture.WriteTemp(t, b, err)
			if err := h.Apply(src); err != nil {
				t.Fatal(err)
			}
			m := startMount(t, src)
			t.Cleanup(func() {
				if rss := rssMiB(t, m.cmd.Process.Pid); rss > 200 {
					t.Errorf("the daemon's resident memory is %d MiB", rss)
				}
			})
			if problems := run(t, "cat", m.path("info/problems.txt")); !strings.Contains(problems, h.Problem) {
				t.Errorf("problems.txt has no line with %q:\n%s", h.Problem, problems)
			}
			if h.Shows != "" {
				if _, err := os.Stat(m.path(h.Shows)); err != nil {
					t.Error(err)
				}
				return
			}
			if got := run(t, "cat", m.path("files/HomeDomain/Documents/dup.txt")); got != "first\n" {
				t.Errorf("dup.txt reads %q", got)
			}
			// The whole tree reads, as a copy would, and ends.
			out := t.TempDir()
			done := make(chan error, 1)
			go func() { done <- exec.Command("cp", "-r", m.path("files"), out).Run() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("cp -r of files/ did not end")
			}
		})
	}
}

// A signal while the tree is being built (here: deriving the key of an
// encrypted backup with 10 million PBKDF2 rounds, as iOS sets them) ends
// the daemon at once with the shell's code for it, mounting nothing.
func TestSignalWhileIndexing(t *testing.T) {
	requireFUSE(t)
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	b.Encrypted, b.Password, b.Iterations = true, "pw", 10_000_000
	src := fixture.WriteTemp(t, b, nil)
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("pw\n"), 0o600)
	mnt := t.TempDir()
	cmd := exec.Command(iosphotofsBinary(), "mount", "--password-file", pw, src, mnt)
	cmd.Env = testEnv(t)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 5 s after SIGTERM\n%s", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 || !strings.Contains(out.String(), "while indexing: not mounted") {
		t.Errorf("exit %v, output %q; want 143 and 'while indexing: not mounted'", err, out.String())
	}
	if isMounted(t, mnt) {
		t.Error("mounted anyway")
		exec.Command("fusermount3", "-u", "-z", mnt).Run()
	}
}

// A manifest row with a negative size: ls -l shows the payload's real
// size (it showed ????????? and EIO), and problems.txt says why.
func TestNegativeSizeListed(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Entries {
		if b.Entries[i].Path == "Documents/notes.txt" {
			b.Entries[i].Size = -5
		}
	}
	m := startMount(t, fixture.WriteTemp(t, b, nil))
	dir := m.path("files/AppDomain-com.example.notes/Documents")
	if out := run(t, "ls", "-l", dir); !strings.Contains(out, " 9 ") || strings.Contains(out, "?") {
		t.Errorf("ls -l:\n%s", out)
	}
	if problems := run(t, "cat", m.path("info/problems.txt")); !strings.Contains(problems, "manifest -5 bytes, payload 9 bytes") {
		t.Errorf("problems.txt:\n%s", problems)
	}
}

// No access time of the source changes, on a filesystem that records
// every one (strictatime), while the mount is built, walked, copied with
// rsync and read with sqlite3 (as root, the source is read through a
// private read-only noatime view: passthrough reads included).
func TestNoAccessTimes(t *testing.T) {
	requireFUSE(t)
	if os.Geteuid() != 0 {
		t.Skip("a strictatime tmpfs needs root")
	}
	tmpfs := t.TempDir()
	if err := syscall.Mount("tmpfs", tmpfs, "tmpfs", syscall.MS_STRICTATIME, ""); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no strictatime tmpfs: %v", err)
		}
		t.Skipf("no tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(tmpfs, syscall.MNT_DETACH) })
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(tmpfs, "backup")
	if err := b.Write(src); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var paths []string
	filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type()&os.ModeSymlink == 0 {
			paths = append(paths, p)
		}
		return nil
	})
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, fi.ModTime())
	}
	m := startMount(t, src)
	run(t, "find", m.dir, "-ls")
	run(t, "rsync", "-a", m.path("files")+"/", t.TempDir()+"/")
	run(t, "sqlite3", "-readonly", m.path("files/HomeDomain/Library/SMS/sms.db"), "SELECT count(*) FROM message")
	run(t, "cat", m.path("info/summary.txt"))
	m.stop(t)
	for _, p := range paths {
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(st.Atim.Unix()); !got.Equal(old) {
			t.Errorf("%s: access time changed to %v", strings.TrimPrefix(p, src), got)
		}
	}
}

// rssMiB is a process's resident memory, from /proc.
func rssMiB(t *testing.T, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(kb), " kB"))
			return n >> 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
