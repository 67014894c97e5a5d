package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// iosphotofs runs the binary and returns its combined output and exit code.
func iosphotofs(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(iosphotofsBinary(), args...)
	cmd.Env = testEnv(t)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// findAttrs lists path, inode, size, mtime and mode of every entry.
func findAttrs(t *testing.T, dir string) string {
	cmd := exec.Command("find", ".", "-printf", "%p %i %s %T@ %m\n")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestSameAnswersOnEveryMount(t *testing.T) {
	src, _ := writeSample(t, false)
	first := findAttrs(t, startMount(t, src).dir)
	second := findAttrs(t, startMount(t, src).dir)
	if first != second {
		t.Errorf("two mounts differ:\n%s\n---\n%s", first, second)
	}
	if !strings.Contains(first, "./files/HomeDomain/Documents/dup (2).txt ") {
		t.Errorf("unexpected listing:\n%s", first)
	}
}

func TestWALManifest(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	b.WALRows = 3 // the last rows exist only in Manifest.db-wal
	src := fixture.WriteTemp(t, b, nil)
	if _, err := os.Stat(filepath.Join(src, "Manifest.db-wal")); err != nil {
		t.Fatal("fixture has no WAL")
	}
	before := treeSum(t, src)
	m := startMount(t, src)
	last := b.Entries[len(b.Entries)-1] // AppDomain-com.example.notes Documents/notes.txt
	if _, err := os.Stat(m.path("files/" + last.Domain + "/" + last.Path)); err != nil {
		t.Errorf("a row only in the WAL is not shown: %v", err)
	}
	run(t, "sqlite3", "-readonly", m.path("files/HomeDomain/Library/SMS/sms.db"), "select count(*) from message")
	m.cmd.Process.Signal(syscall.SIGTERM)
	<-m.done
	if treeSum(t, src) != before {
		t.Error("the source changed")
	}
}

func TestKilledDaemonLeavesAClearMessage(t *testing.T) {
	src, _ := writeSample(t, false)
	m := startMount(t, src)
	m.cmd.Process.Kill()
	<-m.done
	defer exec.Command("fusermount3", "-u", m.dir).Run()
	// Its root's attributes are still in the kernel's cache: only asking
	// the (gone) daemon shows the mount is dead.
	os.Stat(m.dir)
	for _, args := range [][]string{{"mount", src, m.dir}, {"info", m.dir}} {
		out, code := iosphotofs(t, args...)
		if code == 0 || !strings.Contains(out, "is a dead mount") || !strings.Contains(out, "fusermount3 -u "+m.dir) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%s: exit %d, output %q; want one line saying it is a dead mount, naming fusermount3 -u", args[0], code, out)
		}
	}
}

func TestMountErrors(t *testing.T) {
	requireFUSE(t)
	src, _ := writeSample(t, false)
	enc, _ := fixture.Sample(false)
	enc.Encrypted, enc.Password = true, "right"
	encDir := filepath.Join(t.TempDir(), "enc")
	wrong := filepath.Join(t.TempDir(), "wrong.txt")
	os.WriteFile(wrong, []byte("wrong\n"), 0o600)
	if err := enc.Write(encDir); err != nil {
		t.Fatal(err)
	}
	busy := startMount(t, src)
	for name, c := range map[string]struct {
		args []string
		code int
		want string
	}{
		"no mountpoint":     {[]string{"mount", src, filepath.Join(t.TempDir(), "nope")}, 1, "does not exist"},
		"not a backup":      {[]string{"mount", t.TempDir(), t.TempDir()}, 1, "not an iPhone backup"},
		"no source":         {[]string{"mount", "/nonexistent/backup", t.TempDir()}, 1, "no such folder"},
		"encrypted":         {[]string{"mount", encDir, t.TempDir()}, 1, "the backup is encrypted: give its password"},
		"wrong password":    {[]string{"mount", "--password-file", wrong, encDir, t.TempDir()}, 2, "wrong password"},
		"bad key":           {[]string{"mount", "--key", "abc", encDir, t.TempDir()}, 64, "--key takes"},
		"busy mountpoint":   {[]string{"mount", src, busy.dir}, 1, "busy"},
		"missing arguments": {[]string{"mount", src}, 64, "wrong number of arguments"},
		"unknown command":   {[]string{"frobnicate"}, 64, "unknown command"},
	} {
		out, code := iosphotofs(t, c.args...)
		if code != c.code || !strings.Contains(out, c.want) || !strings.HasPrefix(out, "iosphotofs: ") {
			t.Errorf("%s: exit %d, output %q; want exit %d and %q", name, code, out, c.code, c.want)
		}
	}
}

func TestInfoAndList(t *testing.T) {
	src, _ := writeSample(t, false)
	out, code := iosphotofs(t, "info", "--json", src)
	if code != 0 {
		t.Fatalf("info --json: exit %d: %s", code, out)
	}
	var s struct {
		Kind    string `json:"kind"`
		Files   int    `json:"files"`
		Missing int    `json:"missing_payloads"`
		Backup  struct {
			DeviceName string `json:"device_name"`
			IOS        string `json:"ios_version"`
		} `json:"backup"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("info --json is not JSON: %v\n%s", err, out)
	}
	// The sample has 13 regular-file rows (Missing.db has no payload) and
	// one orphan payload, shown under recovered/. info/*.txt are not counted.
	if s.Files != 13 || s.Missing != 1 || s.Backup.DeviceName != "Ana's iPhone" || s.Backup.IOS != "14.3" || !strings.HasPrefix(s.Kind, "modern") {
		t.Errorf("info --json = %+v", s)
	}
	out, code = iosphotofs(t, "info", src)
	if code != 0 || !strings.Contains(out, "Ana's iPhone (iPhone9,3)") || !strings.Contains(out, "missing payload: HomeDomain-Library/Missing.db") {
		t.Errorf("info: exit %d\n%s", code, out)
	}
	out, code = iosphotofs(t, "list", filepath.Dir(src))
	if code != 0 || !strings.Contains(out, "Ana's iPhone") || !strings.Contains(out, "14.3") || !strings.Contains(out, src) {
		t.Errorf("list: exit %d\n%s", code, out)
	}
}

// A payload whose size is not the manifest's (changed while the backup was
// written, or by a tool) is shown and served with its own size: the bytes
// on disk are the file, and info/ says which differ.
func TestPayloadSizeDiffersFromManifest(t *testing.T) {
	src, _ := writeSample(t, false)
	notes := payloadPath(src, false, "AppDomain-com.example.notes", "Documents/notes.txt")
	if err := os.Truncate(notes, 4); err != nil {
		t.Fatal(err)
	}
	sms := payloadPath(src, false, "HomeDomain", "Library/SMS/sms.db")
	f, err := os.OpenFile(sms, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 8192))
	f.Close()
	before := treeSum(t, src)
	m := startMount(t, src)
	for mounted, payload := range map[string]string{
		"files/AppDomain-com.example.notes/Documents/notes.txt": notes,
		"files/HomeDomain/Library/SMS/sms.db":                   sms,
	} {
		run(t, "cmp", m.path(mounted), payload)
		if got, want := run(t, "stat", "-c", "%s", m.path(mounted)), run(t, "stat", "-c", "%s", payload); got != want {
			t.Errorf("%s: stat size %s, the payload has %s", mounted, got, want)
		}
	}
	if got := strings.TrimSpace(run(t, "sqlite3", "-readonly", m.path("files/HomeDomain/Library/SMS/sms.db"), "select count(*) from message")); got != "3" {
		t.Errorf("sqlite3 on a grown sms.db: %q, want 3", got)
	}
	run(t, "rsync", "-a", m.path("files")+"/", t.TempDir()+"/")
	problems := run(t, "cat", m.path("info/problems.txt"))
	if !strings.Contains(problems, "size differs from the manifest: files/AppDomain-com.example.notes/Documents/notes.txt: manifest 9 bytes, payload 4 bytes") ||
		!strings.Contains(problems, "size differs from the manifest: files/HomeDomain/Library/SMS/sms.db: manifest ") {
		t.Errorf("problems.txt does not say which sizes differ:\n%s", problems)
	}
	if summary := run(t, "cat", m.path("info/summary.txt")); !strings.Contains(summary, "Sizes differing:   2 ") {
		t.Errorf("summary.txt does not count them:\n%s", summary)
	}
	m.stop(t)
	if out, _ := iosphotofs(t, "info", "--json", src); !strings.Contains(out, `"sizes_differing_from_manifest": 2`) {
		t.Errorf("info --json does not count them:\n%s", out)
	}
	if treeSum(t, src) != before {
		t.Error("the source changed")
	}
}

// A second walk of the tree, and a second stat of a file, must be answered
// by the kernel's caches alone: no OPENDIR (refused once, then never sent),
// no READDIR, no LOOKUP.
func TestSecondWalkCostsNoRequest(t *testing.T) {
	src, _ := writeSample(t, false)
	m := startMount(t, src, "--debug")
	listTree(t, m.dir)
	run(t, "stat", m.path("files/HomeDomain/Library/SMS/sms.db"))
	time.Sleep(200 * time.Millisecond)
	before := m.log.String()
	listTree(t, m.dir)
	run(t, "stat", m.path("files/HomeDomain/Library/SMS/sms.db"))
	time.Sleep(200 * time.Millisecond)
	after := strings.TrimPrefix(m.log.String(), before)
	for _, op := range []string{"OPENDIR", "READDIR", "LOOKUP", "GETATTR"} {
		if strings.Contains(after, " "+op) {
			t.Errorf("the second walk sent %s:\n%s", op, after)
		}
	}
	if strings.Count(before, "rx") == 0 || !strings.Contains(before, "READDIRPLUS") {
		t.Fatalf("--debug shows no requests:\n%s", before)
	}
}

// An encrypted backup mounts with its password (or the key `iosphotofs key`
// printed) and every file reads back byte-exact, at any offset.
func TestEncryptedMount(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		t.Run(map[bool]string{false: "modern", true: "legacy"}[legacy], func(t *testing.T) { testEncryptedMount(t, legacy) })
	}
}

func testEncryptedMount(t *testing.T, legacy bool) {
	b, err := fixture.Sample(legacy)
	if err != nil {
		t.Fatal(err)
	}
	const password = "pass wörd!"
	b.Encrypted, b.Password = true, password
	src := fixture.WriteTemp(t, b, nil)
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(password+"\n"), 0o600)
	before := treeSum(t, src)
	key, code := iosphotofs(t, "key", "--password-file", pwFile, src)
	if code != 0 || len(strings.TrimSpace(key)) != 64 {
		t.Fatalf("key: exit %d, %q", code, key)
	}
	for _, args := range [][]string{{"--password-file", pwFile}, {"--key", strings.TrimSpace(key)}} {
		m := startMount(t, src, args...)
		if strings.Contains(m.log.String(), password) || strings.Contains(m.log.String(), strings.TrimSpace(key)) {
			t.Error("the daemon printed the password or the key")
		}
		checked := 0
		for _, e := range b.Entries {
			if e.Flags != fixture.FlagFile || e.NoPayload || strings.Contains(e.Path, "..") || strings.HasPrefix(e.Path, "Documents/") {
				continue
			}
			got, err := os.ReadFile(m.path("files/" + e.Domain + "/" + e.Path))
			if err != nil || string(got) != string(e.Data) {
				t.Errorf("%s: %v; plaintext differs", e.Path, err)
			}
			checked++
		}
		// Reads at odd offsets decrypt from the middle of the file.
		f, err := os.Open(m.path("files/HomeDomain/Library/SMS/sms.db"))
		if err != nil {
			t.Fatal(err)
		}
		var sms []byte
		for _, e := range b.Entries {
			if e.Path == "Library/SMS/sms.db" {
				sms = e.Data
			}
		}
		for _, off := range []int64{1, 15, 16, 17, 4095, 4097, int64(len(sms)) - 3} {
			buf := make([]byte, 100)
			n, _ := f.ReadAt(buf, off)
			if string(buf[:n]) != string(sms[off:min(off+100, int64(len(sms)))]) {
				t.Errorf("sms.db at %d: wrong bytes", off)
			}
		}
		f.Close()
		run(t, "sqlite3", "-readonly", m.path("files/HomeDomain/Library/SMS/sms.db"), "select count(*) from message")
		dst := t.TempDir()
		run(t, "rsync", "-a", m.path("files/HomeDomain/Library/")+"/", dst+"/")
		run(t, "cmp", filepath.Join(dst, "SMS", "sms.db"), m.path("files/HomeDomain/Library/SMS/sms.db"))
		if checked < 5 {
			t.Errorf("only %d files checked", checked)
		}
		m.cmd.Process.Signal(syscall.SIGTERM)
		<-m.done
	}
	if treeSum(t, src) != before {
		t.Error("the source changed")
	}
}

// What ordinary tools rely on: folder link counts of 2 + subfolders, the
// device's permission bits (so a copy can be changed by its owner), and
// "." and ".." in listings; writes still fail.
func TestFileSystemManners(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/run.sh", Flags: fixture.FlagFile, Data: []byte("#!/bin/sh\n"), Perm: 0o755})
	src := fixture.WriteTemp(t, b, nil)
	m := startMount(t, src)
	for path, want := range map[string]string{
		"files":                              "7 755", // 2 + five domains
		"files/HomeDomain":                   "5 755", // 2 + Documents, Library, etc
		"files/HomeDomain/Library/SMS":       "2 755",
		"category/photos":                    "2 755",
		"files/HomeDomain/Documents/dup.txt": "1 644",
		"files/HomeDomain/Library/run.sh":    "1 755",
		"info/summary.txt":                   "1 644",
		"by-date/2021_01/IMG_0001.JPG":       "3 644", // in files/, by-date/ and category/
	} {
		if got := strings.TrimSpace(run(t, "stat", "-c", "%h %a", m.path(path))); got != want {
			t.Errorf("%s: links and mode %q, want %q", path, got, want)
		}
	}
	names := strings.Fields(run(t, "ls", "-a", m.path("files/HomeDomain")))
	if len(names) < 2 || names[0] != "." || names[1] != ".." {
		t.Errorf("ls -a: %v, want . and .. first", names)
	}
	// A copy is the owner's to change, as a copy of the device's files would be.
	dest := t.TempDir()
	run(t, "rsync", "-a", m.path("files/HomeDomain")+"/", dest+"/")
	if err := os.WriteFile(filepath.Join(dest, "Documents", "dup.txt"), []byte("changed"), 0o644); err != nil {
		t.Errorf("the copy cannot be changed: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dest, "Documents", "new.txt"), nil, 0o644); err != nil {
		t.Errorf("the copied folder cannot be added to: %v", err)
	}
	checkEROFS(t, m)
}

// SIGTERM while a file is open (a service manager's stop): the mount is
// detached at once, the open file keeps reading, and the daemon ends when
// it is closed.
func TestSIGTERMDetachesABusyMount(t *testing.T) {
	src, _ := writeSample(t, false)
	m := startMount(t, src)
	held, err := os.Open(m.path("files/HomeDomain/Documents/dup.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	m.cmd.Process.Signal(syscall.SIGTERM)
	eventually(t, "the detached mount", func() bool { return !isMounted(t, m.dir) })
	if !m.logged("detached " + m.dir) {
		t.Errorf("the daemon did not say it detached:\n%s", m.log)
	}
	buf := make([]byte, 6)
	if n, err := held.ReadAt(buf, 0); n != 6 || string(buf) != "first\n" {
		t.Errorf("the open file after detaching: %q, %v", buf[:n], err)
	}
	held.Close()
	select {
	case <-m.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the daemon still runs after its last file was closed\n%s", m.log)
	}
	if !m.logged("unmounted " + m.dir) {
		t.Errorf("the daemon did not say it unmounted:\n%s", m.log)
	}
}
