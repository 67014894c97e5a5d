package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// tree lists path, size and mtime of every entry below dir (and a link's
// target), sorted: what extract must reproduce of the mount.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	cmd := exec.Command("find", ".", "-printf", "%p\t%y\t%s\t%T@\t%l\n")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		f := strings.Split(l, "\t")
		if len(f) >= 3 && f[1] == "d" {
			f[2] = "-" // folder sizes are the filesystem's own
		}
		lines = append(lines, strings.Join(f, " "))
	}
	slices.Sort(lines)
	return lines
}

// extract runs iosphotofs extract and returns its summary line.
func extract(t *testing.T, args ...string) string {
	t.Helper()
	out, code := iosphotofs(t, append([]string{"extract"}, args...)...)
	if code != 0 {
		t.Fatalf("extract %v: exit %d\n%s", args, code, out)
	}
	return out
}

// TestExtractMatchesMount extracts each kind of source and compares the
// folder with the mount: the same paths, sizes, mtimes and bytes; a
// second run writes nothing; a photo in several views is one file.
func TestExtractMatchesMount(t *testing.T) {
	// Each source, and the flags both commands take for it.
	sources := map[string]func(t *testing.T) (string, []string){
		"backup": func(t *testing.T) (string, []string) { src, _ := writeSample(t, false); return src, nil },
		"legacy": func(t *testing.T) (string, []string) { src, _ := writeSample(t, true); return src, nil },
		"damaged": func(t *testing.T) (string, []string) {
			b, err := fixture.Damaged(fixture.NoManifest)
			return fixture.WriteTemp(t, b, err), nil
		},
		"encrypted": func(t *testing.T) (string, []string) {
			b, err := fixture.Sample(false)
			if err != nil {
				t.Fatal(err)
			}
			b.Encrypted, b.Password = true, "pw"
			pw := filepath.Join(t.TempDir(), "pw")
			os.WriteFile(pw, []byte("pw\n"), 0o600)
			return fixture.WriteTemp(t, b, nil), []string{"--password-file", pw}
		},
		"photos, HEIC as JPEG": func(t *testing.T) (string, []string) {
			if _, err := os.Stat(corpus); err != nil {
				t.Skipf("%s not found: the shared corpus is not beside this clone", corpus)
			}
			b, err := fixture.PhotoBackup(corpus)
			return fixture.WriteTemp(t, b, err), []string{"--heic-jpeg", "alongside", "--names", "date"}
		},
		"streams": func(t *testing.T) (string, []string) { src, _ := writeStreams(t, fixture.ILifeStore); return src, nil },
	}
	for name, write := range sources {
		t.Run(name, func(t *testing.T) {
			src, flags := write(t)
			before := treeSum(t, src)
			dest := filepath.Join(t.TempDir(), "out")
			flags = append(flags, "--cache-dir", t.TempDir())
			extract(t, append(flags, src, dest)...)
			m := startMount(t, src, append(flags, "--no-watch")...)
			if got, want := tree(t, dest), tree(t, m.dir); !slices.Equal(got, want) {
				t.Errorf("extract differs from the mount:\n%s\nmount:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if out, err := exec.Command("diff", "-r", "--no-dereference", dest, m.dir).CombinedOutput(); err != nil {
				t.Errorf("diff -r: %v\n%s", err, out)
			}
			if again := extract(t, append(flags, src, dest)...); !strings.HasPrefix(again, "0 files written (0 B), 0 hard links") {
				t.Errorf("a second run wrote: %s", again)
			}
			if after := treeSum(t, src); after != before {
				t.Error("the source changed")
			}
		})
	}
}

func TestExtractLinksViewsAndViews(t *testing.T) {
	src, _ := writeSample(t, false)
	dest := filepath.Join(t.TempDir(), "out")
	extract(t, "--no-cache", src, dest, "by-date", "files/CameraRollDomain")
	a, err1 := os.Stat(filepath.Join(dest, "by-date/2021_01/IMG_0001.JPG"))
	b, err2 := os.Stat(filepath.Join(dest, "files/CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG"))
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		t.Errorf("the photo in two views is not one file: %v %v", err1, err2)
	}
	if _, err := os.Stat(filepath.Join(dest, "files/HomeDomain")); err == nil {
		t.Error("a view that was not asked for was written")
	}
	copies := filepath.Join(t.TempDir(), "copies")
	extract(t, "--no-cache", "--copies", src, copies, "by-date", "category")
	a, _ = os.Stat(filepath.Join(copies, "by-date/2021_01/IMG_0001.JPG"))
	b, _ = os.Stat(filepath.Join(copies, "category/photos/IMG_0001.JPG"))
	if a == nil || b == nil || os.SameFile(a, b) {
		t.Error("--copies made hard links")
	}
	dry := filepath.Join(t.TempDir(), "dry")
	if out := extract(t, "--no-cache", "--dry-run", src, dry, "by-date"); !strings.Contains(out, "write "+filepath.Join(dry, "by-date/2021_01/IMG_0001.JPG")) {
		t.Errorf("--dry-run says:\n%s", out)
	}
	if _, err := os.Stat(dry); err == nil {
		t.Error("--dry-run wrote")
	}
}

// TestExtractInterrupted kills a run in the middle of a large file: no
// file is left half-written under its name, and a second run completes.
func TestExtractInterrupted(t *testing.T) {
	src := fixture.WriteTemp(t, fixture.Big(300, 256<<20), nil)
	dest := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(iosphotofsBinary(), "extract", "--no-cache", src, dest, "files")
	cmd.Env = testEnv(t)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		parts, _ := filepath.Glob(filepath.Join(dest, "files/HomeDomain/Media/.iosphotofs-part-*"))
		if len(parts) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the large file was never being written")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if fi, err := os.Stat(filepath.Join(dest, "files/HomeDomain/Media/big.bin")); err == nil && fi.Size() != 256<<20 {
		t.Fatalf("big.bin is there with %d bytes", fi.Size())
	}
	extract(t, "--no-cache", src, dest, "files")
	m := startMount(t, src, "--no-cache", "--no-watch")
	if out, err := exec.Command("diff", "-r", "--no-dereference", filepath.Join(dest, "files"), m.path("files")).CombinedOutput(); err != nil {
		t.Errorf("after a rerun, diff -r: %v\n%s", err, out)
	}
	if parts, _ := filepath.Glob(filepath.Join(dest, "files/HomeDomain/Media/.iosphotofs-part-*")); len(parts) > 0 {
		t.Errorf("parts left: %v", parts)
	}
}

// TestExtractErrors: a read-only destination (inside a mount) and one
// inside the source each stop with one line.
func TestExtractErrors(t *testing.T) {
	src, _ := writeSample(t, false)
	m := startMount(t, src, "--no-watch")
	for dest, want := range map[string]string{
		m.path("files/new"):          "no permission to write there",
		filepath.Join(src, "inside"): "inside the source",
	} {
		out, code := iosphotofs(t, "extract", "--no-cache", src, dest)
		if code == 0 || !strings.Contains(out, want) || strings.Count(strings.TrimSpace(out), "\n") > 2 {
			t.Errorf("extract to %s: exit %d\n%s", dest, code, out)
		}
	}
}
