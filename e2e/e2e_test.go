// Package e2e mounts fixture backups with the real binary on /dev/fuse and
// checks the mount with real programs: find, stat, cmp, rsync, sqlite3.
package e2e

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/conformance"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "iosphotofs-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "iosphotofs")
	build := exec.Command("go", "build", "-race", "-o", binary, "../cmd/iosphotofs")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building iosphotofs:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// iosphotofsBinary is the binary TestMain built. Asking for it has every
// Go file of the module looked at: go test's cache knows only the files a
// test opens or stats once it runs (not in TestMain), and must rerun these
// tests when the binary would change.
func iosphotofsBinary() string {
	noteSources.Do(statSources)
	return binary
}

var noteSources sync.Once

func statSources() {
	filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != ".." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum" {
			os.Stat(p)
		}
		return nil
	})
}

// requireFUSE skips without /dev/fuse and fusermount3, except under CI
// where their absence is a failure.
func requireFUSE(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = append(missing, "/dev/fuse")
	}
	for _, tool := range []string{"fusermount3", "rsync", "sqlite3", "find", "stat", "cmp"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but missing: %v", missing)
	}
	t.Skipf("missing %v", missing)
}

// mount runs `iosphotofs mount` and waits until the tree is listable.
type mount struct {
	t    *testing.T
	cmd  *exec.Cmd
	dir  string
	log  *syncBuffer
	done chan struct{} // closed when the daemon exits
	err  error         // its exit status, once done
}

func startMount(t *testing.T, src string, args ...string) *mount {
	t.Helper()
	requireFUSE(t)
	mnt := t.TempDir()
	m := &mount{t: t, dir: mnt, log: &syncBuffer{}}
	m.cmd = exec.Command(iosphotofsBinary(), append(append([]string{"mount", "-v"}, args...), src, mnt)...)
	m.cmd.Env = testEnv(t)
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.done = make(chan struct{})
	go func() { m.err = m.cmd.Wait(); close(m.done) }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		// "mounted" is printed once go-fuse's own start-up requests are done.
		if strings.Contains(m.log.String(), "mounted ") {
			if _, err := os.Stat(filepath.Join(mnt, "info", "summary.txt")); err == nil {
				break
			}
		}
		select {
		case <-m.done:
			t.Fatalf("mount exited early: %v\n%s", m.err, m.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mount not ready after 20 s\n%s", m.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
			exec.Command("fusermount3", "-u", "-z", mnt).Run()
			t.Errorf("daemon did not exit on SIGTERM\n%s", m.log)
		}
	})
	return m
}

// testEnv gives the daemon a cache folder of its own test.
func testEnv(t *testing.T) []string {
	return append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
}

// syncBuffer collects the daemon's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (m *mount) path(p string) string { return filepath.Join(m.dir, p) }

// logged waits (a little) for the daemon to print want: its output reaches
// the test through a pipe, so a line written before a reply may arrive after it.
func (m *mount) logged(want string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(m.log.String(), want) {
			return true
		}
	}
	return false
}

// stop unmounts with SIGTERM and waits for the daemon to exit.
func (m *mount) stop(t *testing.T) {
	t.Helper()
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", m.log)
	}
}

// run runs a program and returns its output, failing the test on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// treeSum hashes every file, folder and link of dir with its metadata.
func treeSum(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(h, "%s %v %d %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), st.Ctim.Nano())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeSample(t *testing.T, legacy bool) (string, *fixture.Backup) {
	t.Helper()
	b, err := fixture.Sample(legacy)
	return fixture.WriteTemp(t, b, err), b
}

// sampleTree is what the sample backup must show, written out by hand.
var sampleTree = []string{
	".",
	// The photo has an xattr capture time of 2021-01-17 17:44:01 +01:00.
	"by-date",
	"by-date/2021_01",
	"by-date/2021_01/IMG_0001.JPG",
	"category",
	"category/photos",
	"category/photos/IMG_0001.JPG",
	"files",
	"files/AppDomain-com.example.notes",
	"files/AppDomain-com.example.notes/Documents",
	"files/AppDomain-com.example.notes/Documents/notes.txt",
	"files/CameraRollDomain",
	"files/CameraRollDomain/Media",
	"files/CameraRollDomain/Media/DCIM",
	"files/CameraRollDomain/Media/DCIM/100APPLE",
	"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG",
	"files/HomeDomain",
	"files/HomeDomain/Documents",
	"files/HomeDomain/Documents/dup (2).txt",
	"files/HomeDomain/Documents/dup.txt",
	"files/HomeDomain/Documents/" + shortened(fixture.LongName),
	"files/HomeDomain/Documents/report",
	"files/HomeDomain/Documents/report (2)",
	"files/HomeDomain/Documents/report (2)/page.txt",
	"files/HomeDomain/Library",
	"files/HomeDomain/Library/Empty.txt",
	"files/HomeDomain/Library/Preferences",
	"files/HomeDomain/Library/Preferences/.GlobalPreferences.plist",
	"files/HomeDomain/Library/SMS",
	"files/HomeDomain/Library/SMS/sms.db",
	"files/HomeDomain/etc",
	"files/HomeDomain/etc/passwd",
	"files/MediaDomain",
	"files/MediaDomain/Library",
	"files/MediaDomain/Library/SMS",
	"files/MediaDomain/Library/SMS/Attachments",
	"files/MediaDomain/Library/SMS/Attachments/0a",
	"files/MediaDomain/Library/SMS/Attachments/0a/10",
	"files/MediaDomain/Library/SMS/Attachments/0a/10/Ünïcödé café.txt",
	"files/RootDomain",
	"files/RootDomain/Library",
	"files/RootDomain/Library/Caches",
	"files/RootDomain/Library/Caches/locale",
	"info",
	"info/problems.txt",
	"info/summary.txt",
	// The orphan payload's name is not guessable: it is typed by content.
	"recovered",
	"recovered/other-data",
	orphanPath,
}

var orphanPath = "recovered/other-data/" + fixture.FileID("HomeDomain", "Library/Orphan.bin") + ".txt"

// payloadOf maps a mount path of the sample to the source row it shows.
var payloadOf = map[string][2]string{
	"files/HomeDomain/Library/SMS/sms.db":                              {"HomeDomain", "Library/SMS/sms.db"},
	"files/HomeDomain/Documents/dup (2).txt":                           {"HomeDomain", "Documents/x/../dup.txt"},
	"files/HomeDomain/Documents/dup.txt":                               {"HomeDomain", "Documents/dup.txt"},
	"files/HomeDomain/Documents/report":                                {"HomeDomain", "Documents/report"},
	"files/HomeDomain/Documents/report (2)/page.txt":                   {"HomeDomain", "Documents/report/page.txt"},
	"files/HomeDomain/etc/passwd":                                      {"HomeDomain", "Library/../../etc/passwd"},
	"files/HomeDomain/Library/Empty.txt":                               {"HomeDomain", "Library/Empty.txt"},
	"files/MediaDomain/Library/SMS/Attachments/0a/10/Ünïcödé café.txt": {"MediaDomain", "Library/SMS/Attachments/0a/10/Ünïcödé café.txt"},
	"files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG":          {"CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG"},
	"files/AppDomain-com.example.notes/Documents/notes.txt":            {"AppDomain-com.example.notes", "Documents/notes.txt"},
	"files/HomeDomain/Library/Preferences/.GlobalPreferences.plist":    {"HomeDomain", "Library/Preferences/.GlobalPreferences.plist"},
	orphanPath: {"HomeDomain", "Library/Orphan.bin"},
}

// shortened is the 255-byte form of a long name: as much of the stem as
// fits, "~", the first 4 bytes of the name's SHA-1 in hex, the extension.
func shortened(name string) string {
	sum := sha1.Sum([]byte(name))
	tag := "~" + hex.EncodeToString(sum[:4])
	ext := filepath.Ext(name)
	return name[:255-len(tag)-len(ext)] + tag + ext
}

func payloadPath(src string, legacy bool, domain, rel string) string {
	id := fixture.FileID(domain, rel)
	if legacy {
		return filepath.Join(src, id)
	}
	return filepath.Join(src, id[:2], id)
}

func listTree(t *testing.T, dir string) []string {
	cmd := exec.Command("find", ".")
	cmd.Dir = dir
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		got = append(got, strings.TrimPrefix(l, "./"))
	}
	slices.Sort(got)
	return got
}

func TestMountSample(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "modern", true: "legacy"}[legacy], func(t *testing.T) {
			src, _ := writeSample(t, legacy)
			before := treeSum(t, src)
			m := startMount(t, src)

			if got := listTree(t, m.dir); !slices.Equal(got, sampleTree) {
				t.Errorf("find lists:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(sampleTree, "\n"))
			}
			if !strings.Contains(m.log.String(), "passthrough reads:") {
				t.Errorf("-v does not report passthrough:\n%s", m.log)
			}

			// stat: sizes, mtimes, modes, link target.
			stat := func(p string) string {
				return strings.TrimSpace(run(t, "stat", "-c", "%s %Y %a %F", m.path(p)))
			}
			wantStat := map[string]string{
				"files/HomeDomain/Documents/dup.txt":                               fmt.Sprintf("6 %d 644 regular file", fixture.T1),
				"files/HomeDomain/Library/Empty.txt":                               fmt.Sprintf("0 %d 644 regular empty file", fixture.T1),
				"files/AppDomain-com.example.notes/Documents/notes.txt":            fmt.Sprintf("9 %d 644 regular file", fixture.T2),
				"files/RootDomain/Library/Caches/locale":                           fmt.Sprintf("39 %d 777 symbolic link", fixture.T1),
				"files/MediaDomain/Library/SMS/Attachments/0a/10/Ünïcödé café.txt": fmt.Sprintf("7 %d 644 regular file", fixture.T1),
			}
			if !legacy {
				// Directory rows carry their own times (the mbdb fixture has the same, but keep one check per kind).
				wantStat["files/HomeDomain/Library/SMS"] = fmt.Sprintf("0 %d 755 directory", fixture.T2)
			}
			for p, want := range wantStat {
				if got := stat(p); got != want {
					t.Errorf("stat %s = %q, want %q", p, got, want)
				}
			}
			if got := run(t, "readlink", m.path("files/RootDomain/Library/Caches/locale")); strings.TrimSpace(got) != "/var/db/timezone/zoneinfo/Europe/London" {
				t.Errorf("readlink = %q", got)
			}

			// Bytes equal the payloads.
			for p, row := range payloadOf {
				run(t, "cmp", m.path(p), payloadPath(src, legacy, row[0], row[1]))
			}

			// SQLite opens the database from the mount.
			if got := strings.TrimSpace(run(t, "sqlite3", "-readonly", m.path("files/HomeDomain/Library/SMS/sms.db"), "select count(*) from message")); got != "3" {
				t.Errorf("sqlite3 count = %q, want 3", got)
			}

			// rsync -a reproduces content and mtimes.
			out := t.TempDir()
			run(t, "rsync", "-a", m.path("files")+"/", out+"/")
			for p, row := range payloadOf {
				if !strings.HasPrefix(p, "files/") {
					continue
				}
				local := filepath.Join(out, strings.TrimPrefix(p, "files/"))
				run(t, "cmp", local, payloadPath(src, legacy, row[0], row[1]))
				fi, err := os.Stat(local)
				if err != nil {
					t.Fatal(err)
				}
				mfi, _ := os.Stat(m.path(p))
				if !fi.ModTime().Equal(mfi.ModTime()) {
					t.Errorf("rsync copy of %s has mtime %v, mount says %v", p, fi.ModTime(), mfi.ModTime())
				}
			}

			// No extended attributes, and tools that copy them say nothing.
			checkNoXattrs(t, m)

			// Every mutation fails with EROFS.
			checkEROFS(t, m)

			// info files.
			summary := run(t, "cat", m.path("info/summary.txt"))
			for _, want := range []string{"Ana's iPhone (iPhone9,3)", "14.3 (18C66)", "Missing payloads:  1", "Orphan payloads:   1", "Skipped rows:      1"} {
				if !strings.Contains(summary, want) {
					t.Errorf("summary.txt lacks %q:\n%s", want, summary)
				}
			}
			problems := run(t, "cat", m.path("info/problems.txt"))
			for _, want := range []string{"missing payload: HomeDomain-Library/Missing.db", "HomeDomain-Library/Odd", "b775ed685a58e06454458acc67501b9144fe1ed0, shown as " + orphanPath, "HomeDomain-Library/../../etc/passwd"} {
				if !strings.Contains(problems, want) {
					t.Errorf("problems.txt lacks %q:\n%s", want, problems)
				}
			}

			// SIGTERM unmounts.
			m.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-m.done:
			case <-time.After(10 * time.Second):
				t.Fatal("no exit after SIGTERM")
			}
			if isMounted(t, m.dir) {
				t.Error("still mounted after SIGTERM")
			}
			if after := treeSum(t, src); after != before {
				t.Error("the source changed")
			}
		})
	}
}

func checkNoXattrs(t *testing.T, m *mount) {
	t.Helper()
	f := m.path("files/HomeDomain/Documents/dup.txt")
	if _, err := syscall.Getxattr(f, "user.x", make([]byte, 64)); !errors.Is(err, syscall.ENODATA) && !errors.Is(err, syscall.EOPNOTSUPP) {
		t.Errorf("getxattr: got %v, want ENODATA or EOPNOTSUPP", err)
	}
	if n, err := syscall.Listxattr(f, make([]byte, 64)); n != 0 || err != nil {
		t.Errorf("listxattr: %d bytes, %v; want an empty list", n, err)
	}
	for _, cmd := range [][]string{
		{"rsync", "-aX", m.path("files/HomeDomain/Documents") + "/", t.TempDir() + "/"},
		{"cp", "-a", m.path("files/HomeDomain/Documents"), t.TempDir()},
		{"ls", "-l", m.path("files/HomeDomain/Documents")},
	} {
		out := run(t, cmd[0], cmd[1:]...)
		if cmd[0] != "ls" && out != "" {
			t.Errorf("%s printed %q", strings.Join(cmd, " "), out)
		}
	}
}

func checkEROFS(t *testing.T, m *mount) {
	t.Helper()
	conformance.CheckReadOnly(t, m.path("files/HomeDomain/Documents/dup.txt"))
}

func isMounted(t *testing.T, dir string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(data), " "+dir+" ")
}
