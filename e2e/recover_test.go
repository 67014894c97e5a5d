package e2e

import (
	"crypto/sha256"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// namedWithoutManifest are the fixture's files that recovery must name
// (FORMATS.md 1.10): by the well-known table, by Photos.sqlite, by sms.db
// and by the camera-roll search. Everything else is typed.
var namedWithoutManifest = []string{
	"HomeDomain/Library/SMS/sms.db",
	"HomeDomain/Library/AddressBook/AddressBook.sqlitedb",
	"HomeDomain/Library/Preferences/com.apple.springboard.plist",
	"HomeDomain/Library/Calendar/Calendar.sqlitedb",
	"HomeDomain/Library/Calendar/Calendar.sqlitedb-wal",
	"HomeDomain/Library/Notes/notes.sqlite",
	"CameraRollDomain/Media/PhotoData/Photos.sqlite",
	"CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.JPG",
	"CameraRollDomain/Media/DCIM/101APPLE/IMG_1000.PNG",
	"CameraRollDomain/Media/DCIM/102APPLE/IMG_2001.JPG",
	"CameraRollDomain/Media/DCIM/102APPLE/IMG_E2001.JPG",
	"CameraRollDomain/Media/PhotoData/Mutations/DCIM/102APPLE/IMG_2001/Adjustments/FullSizeRender.jpg",
	"CameraRollDomain/Media/DCIM/103APPLE/IMG_3000.MOV",
	"CameraRollDomain/Media/DCIM/104APPLE/IMG_4000.JPG",
	"CameraRollDomain/Media/PhotoData/CPLAssets/group3/0B5C2D1E-AAAA-4BBB-8CCC-000000000003.JPG",
	"MediaDomain/Library/SMS/Attachments/3f/15/8A5E/IMG_7777.jpeg",
}

func TestRecoverWithoutManifest(t *testing.T) {
	b, err := fixture.Damaged(fixture.NoManifest)
	src := fixture.WriteTemp(t, b, err)
	before := treeSum(t, src)
	m := startMount(t, src)

	// Where each payload must be shown, written out from the rules.
	want := map[string]fixture.Entry{}
	named := map[string]bool{}
	for _, n := range namedWithoutManifest {
		named[n] = true
	}
	typed, err := fixture.TypedSamples()
	if err != nil {
		t.Fatal(err)
	}
	ext := map[string]string{}
	for _, s := range typed {
		ext["Library/"+s.Name] = s.Ext
	}
	for _, e := range b.Entries {
		key := e.Domain + "/" + e.Path
		switch {
		case named[key]:
			want["recovered/"+key] = e
		case strings.HasPrefix(e.Path, "Documents/note-"):
			want["recovered/other-data/"+fixture.FileID(e.Domain, e.Path)+".txt"] = e
		default:
			x, ok := ext[e.Path]
			if !ok {
				t.Fatalf("the test does not know where %s goes", key)
			}
			want["recovered/other-data/"+fixture.FileID(e.Domain, e.Path)+x] = e
		}
	}
	for p, e := range want {
		run(t, "cmp", m.path(p), payloadPath(src, false, e.Domain, e.Path))
	}
	// Every payload exactly once under recovered/: as many files as payloads.
	if got := countFiles(t, m.path("recovered")); got != len(b.Entries) {
		t.Errorf("recovered/ has %d files, the backup %d payloads", got, len(b.Entries))
	}

	// The recovered databases open from the mount: in rollback mode, in
	// WAL mode with the WAL's rows, and in WAL mode without a -wal.
	for _, c := range []struct{ db, query, want string }{
		{"HomeDomain/Library/SMS/sms.db", "select count(*) from message", "4"},
		{"HomeDomain/Library/AddressBook/AddressBook.sqlitedb", "select count(*) from ABPerson", "2"},
		{"HomeDomain/Library/Calendar/Calendar.sqlitedb", "select count(*) from CalendarItem", "3"},
		{"HomeDomain/Library/Notes/notes.sqlite", "select count(*) from ZNOTE", "1"},
	} {
		if got := strings.TrimSpace(run(t, "sqlite3", "-readonly", m.path("recovered/"+c.db), c.query)); got != c.want {
			t.Errorf("sqlite3 %s: %q, want %s", c.db, got, c.want)
		}
	}
	// Python's sqlite3 (read-only URI) and plistlib open them too.
	if _, err := exec.LookPath("python3"); err == nil {
		py := `import sqlite3, plistlib, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("select count(*) from CalendarItem").fetchone()[0])
print(plistlib.load(open(sys.argv[2], "rb"))["SBShowBatteryPercentage"])`
		got := run(t, "python3", "-c", py, m.path("recovered/HomeDomain/Library/Calendar/Calendar.sqlitedb"),
			m.path("recovered/HomeDomain/Library/Preferences/com.apple.springboard.plist"))
		if got != "3\nTrue\n" {
			t.Errorf("python3: %q", got)
		}
	}
	// The companions SQLite needed are found by name, never listed.
	if got := listTree(t, m.path("recovered/HomeDomain/Library/Calendar")); !slices.Equal(got, []string{".", "Calendar.sqlitedb", "Calendar.sqlitedb-wal"}) {
		t.Errorf("Calendar folder lists %q", got)
	}
	// Photos join the views: the library's date, else the header's.
	for _, p := range []string{
		"by-date/2020_05/IMG_0001.JPG",  // Photos.sqlite: 2020-05-05 09:00 at +02:00
		"by-date/2018_08/IMG_3003.JPG",  // the iCloud original under its original name
		"by-date/2021_03/IMG_2001.JPG",  // EXIF
		"by-date/2021_03/IMG_E2001.JPG", // an edit saved into DCIM
		"by-date/2021_04/IMG_1000.PNG",  // PNG eXIf
		"by-date/2021_03/IMG_7777.jpeg", // a Messages photo
		"category/videos/IMG_3000.MOV",  // by container
		"category/photos/IMG_4000.JPG",
	} {
		if _, err := os.Stat(m.path(p)); err != nil {
			t.Errorf("photo view: %v", err)
		}
	}
	summary := run(t, "cat", m.path("info/summary.txt"))
	for _, s := range []string{"no manifest", "interrupted backup", "named by", "camera-roll search", "Broken iPhone"} {
		if !strings.Contains(summary, s) {
			t.Errorf("summary.txt lacks %q:\n%s", s, summary)
		}
	}
	if after := treeSum(t, src); after != before {
		t.Error("the source changed")
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRecoverDamagedManifest mounts backups whose Manifest.db is cut off
// or has a destroyed page: what rows can be read keep their names in
// files/, the rest is recovered, and every payload is shown exactly once.
func TestRecoverDamagedManifest(t *testing.T) {
	for name, d := range map[string]fixture.Damage{"truncated": fixture.TruncatedManifest, "corrupt": fixture.CorruptManifest} {
		t.Run(name, func(t *testing.T) {
			b, err := fixture.Damaged(d)
			src := fixture.WriteTemp(t, b, err)
			before := treeSum(t, src)
			m := startMount(t, src)
			shown := map[[32]byte][]string{}
			var inFiles int
			for _, top := range []string{"files", "recovered"} {
				filepath.WalkDir(m.path(top), func(p string, e fs.DirEntry, err error) error {
					if err != nil || !e.Type().IsRegular() {
						return err
					}
					data, err := os.ReadFile(p)
					if err != nil {
						t.Errorf("read %s: %v", p, err)
						return nil
					}
					if top == "files" {
						inFiles++
					}
					sum := sha256.Sum256(data)
					shown[sum] = append(shown[sum], p)
					return nil
				})
			}
			for _, e := range b.Entries {
				if got := shown[sha256.Sum256(e.Data)]; len(got) != 1 {
					t.Errorf("%s-%s is shown %d times: %q", e.Domain, e.Path, len(got), got)
				}
			}
			if len(shown) != len(b.Entries) {
				t.Errorf("%d distinct files shown, the backup has %d payloads", len(shown), len(b.Entries))
			}
			if inFiles == 0 {
				t.Error("no row of the damaged manifest was read")
			}
			problems := run(t, "cat", m.path("info/problems.txt"))
			if !strings.Contains(problems, "Manifest.db") {
				t.Errorf("problems.txt does not mention the damaged Manifest.db:\n%s", problems)
			}
			if after := treeSum(t, src); after != before {
				t.Error("the source changed")
			}
		})
	}
}
