package e2e

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
)

// streamViews is where fixture.Streams' photos belong, from its comments.
var streamViews = []string{
	"by-album/Ana's Trip/IMG_0100.JPG",
	"by-album/Family (2)/IMG_0200.JPG", // the second Apple ID's "Family"
	"by-album/Family/IMG_0001.JPG",
	"by-album/Family/IMG_0002.JPG", // a Live Photo: image and movie
	"by-album/Family/IMG_0002.MOV",
	"by-album/Family/IMG_0003.MOV", // its poster frame and thumbnail are not photos
	"by-album/Family/IMG_0004.JPG",
	"by-date/2019_09/IMG_0004.JPG", // no EXIF: the stream's photoDate
	"by-date/2021_02/IMG_0200.JPG",
	"by-date/2022_12/IMG_0100.JPG",
	"by-date/2023_06/IMG_0001.JPG",
	"by-date/2023_06/IMG_0002.JPG",
	"by-date/2023_06/IMG_0002.MOV",
	"by-date/2023_07/IMG_0003.MOV",
	"category/photos/IMG_0001.JPG",
	"category/photos/IMG_0002.JPG",
	"category/photos/IMG_0002.MOV",
	"category/photos/IMG_0004.JPG",
	"category/photos/IMG_0100.JPG",
	"category/photos/IMG_0200.JPG",
	"category/videos/IMG_0003.MOV",
}

func writeStreams(t *testing.T, layout int) (string, *fixture.StreamStore) {
	t.Helper()
	s, err := fixture.Streams(layout)
	return fixture.WriteTemp(t, s, err), s
}

func TestStreamStores(t *testing.T) {
	for name, layout := range map[string]int{"iLife": fixture.ILifeStore, "cloudphotosd": fixture.CloudPhotosStore} {
		t.Run(name, func(t *testing.T) {
			src, _ := writeStreams(t, layout)
			before := treeSum(t, src)
			m := startMount(t, src)
			want := slices.Clone(streamViews)
			if layout == fixture.ILifeStore {
				want = append(want, "by-date/2020_01/IMG_9001.JPG", "category/photos/IMG_9001.JPG", "my-photo-stream/IMG_9001.JPG")
			}
			slices.Sort(want)
			var got []string
			for _, p := range listTree(t, m.dir) {
				if fi, err := os.Stat(m.path(p)); err == nil && fi.Mode().IsRegular() && !strings.HasPrefix(p, "info/") {
					got = append(got, p)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("the mount shows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			problems := run(t, "cat", m.path("info/problems.txt"))
			if !strings.Contains(problems, "not on disk: Family/IMG_0005.JPG") {
				t.Errorf("problems.txt lacks the asset with no file:\n%s", problems)
			}
			// rsync of a stream twice: the second run copies nothing.
			out := t.TempDir()
			run(t, "rsync", "-a", m.path("by-album/Family")+"/", out+"/")
			if again := run(t, "rsync", "-a", "--itemize-changes", m.path("by-album/Family")+"/", out+"/"); strings.TrimSpace(again) != "" {
				t.Errorf("a second rsync copied:\n%s", again)
			}
			if after := treeSum(t, src); after != before {
				t.Error("the source changed")
			}
		})
	}
}

// eventually waits up to 3 s (the bar) for cond, polling.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 3*time.Second {
			t.Errorf("%s: not within 3 s", what)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s: %v", what, time.Since(start).Round(10*time.Millisecond))
}

// TestStreamsLive changes a store while it is mounted: a new photo in a
// stream, a new stream, and a removed photo show within 3 s, with no
// remount, and a file opened before keeps reading.
func TestStreamsLive(t *testing.T) {
	for name, layout := range map[string]int{"iLife": fixture.ILifeStore, "cloudphotosd": fixture.CloudPhotosStore} {
		t.Run(name, func(t *testing.T) {
			src, store := writeStreams(t, layout)
			m := startMount(t, src)
			exists := func(p string) bool { _, err := os.Stat(m.path(p)); return err == nil }
			open, err := os.Open(m.path("by-album/Family/IMG_0001.JPG"))
			if err != nil {
				t.Fatal(err)
			}
			defer open.Close()
			if exists("by-album/Family/IMG_0300.JPG") || exists("by-album/New Stream") {
				t.Fatal("the new photo is there before it was added")
			}
			photo, err := fixture.Photo{Taken: time.Date(2024, 8, 8, 8, 0, 0, 0, time.UTC), Offset: "+00:00"}.JPEG()
			if err != nil {
				t.Fatal(err)
			}
			family := store.Accounts[0].Streams[0].GUID
			err = store.Add(src, "111+222", fixture.Stream{GUID: family, Name: "Family", Assets: []fixture.StreamAsset{
				{GUID: "F0000300-0000-4000-8000-000000000300", FileName: "IMG_0300.JPG", Files: map[string][]byte{"IMG_0300.JPG": photo}}}})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "a new photo in a stream", func() bool {
				return exists("by-album/Family/IMG_0300.JPG") && exists("by-date/2024_08/IMG_0300.JPG")
			})
			err = store.Add(src, "333+444", fixture.Stream{GUID: "C1B2C3D4-0000-4000-8000-000000000009", Name: "New Stream", Assets: []fixture.StreamAsset{
				{GUID: "F0000400-0000-4000-8000-000000000400", FileName: "IMG_0400.JPG", Files: map[string][]byte{"IMG_0400.JPG": photo}}}})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "a new stream", func() bool { return exists("by-album/New Stream/IMG_0400.JPG") })
			trip := store.Accounts[0].Streams[1]
			if err := os.RemoveAll(store.AssetFolder(src, trip.GUID, trip.Assets[0].GUID)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "a removed photo", func() bool {
				return !exists("by-album/Ana's Trip/IMG_0100.JPG") && !exists("by-date/2022_12/IMG_0100.JPG")
			})
			want := store.Accounts[0].Streams[0].Assets[0].Files["IMG_0001.JPG"]
			got := make([]byte, len(want)+1)
			if n, _ := open.ReadAt(got, 0); n != len(want) || !bytes.Equal(got[:n], want) {
				t.Errorf("a file opened before the changes reads %d bytes", n)
			}
		})
	}
}

// TestBackupRewrittenWhileMounted: Finder writes a new backup over the
// mounted one. While Status.plist says the snapshot is not finished the
// old tree stays; once it is, the new one is served.
func TestBackupRewrittenWhileMounted(t *testing.T) {
	src, b := writeSample(t, false)
	m := startMount(t, src)
	exists := func(p string) bool { _, err := os.Stat(m.path(p)); return err == nil }
	const added = "files/HomeDomain/Library/Added.txt"
	if exists(added) {
		t.Fatal("the new file is there before the backup was written")
	}
	b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/Added.txt", Flags: fixture.FlagFile,
		Data: []byte("new\n"), MTime: fixture.T2, CTime: fixture.T2})
	b.SnapshotState = "uploading"
	if err := b.Write(src); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // past the settle time and a rebuild
	if exists(added) || !exists("files/HomeDomain/Library/SMS/sms.db") {
		t.Error("a backup mid-snapshot replaced the tree")
	}
	b.SnapshotState = "finished"
	if err := b.Write(src); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rewritten backup", func() bool { return exists(added) })
}

// A WAL database opened from the mount keeps opening after the tree is
// rebuilt: the -shm stand-in the kernel already knows must not vanish.
func TestWALCompanionsSurviveRebuild(t *testing.T) {
	b, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	calendar, calendarWAL, err := fixture.WALDatabase(`CREATE TABLE CalendarItem (ROWID INTEGER PRIMARY KEY, summary TEXT); INSERT INTO CalendarItem (summary) VALUES ('checkpointed')`,
		`INSERT INTO CalendarItem (summary) VALUES ('in the WAL')`)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"Calendar.sqlitedb": calendar, "Calendar.sqlitedb-wal": calendarWAL} {
		b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/Calendar/" + name, Flags: fixture.FlagFile, Data: data})
	}
	src := fixture.WriteTemp(t, b, nil)
	m := startMount(t, src)
	db := m.path("files/HomeDomain/Library/Calendar/Calendar.sqlitedb")
	count := func() string {
		return strings.TrimSpace(run(t, "sqlite3", "-readonly", db, "select count(*) from CalendarItem"))
	}
	if got := count(); got != "2" {
		t.Fatalf("before the rebuild: %s rows, want 2", got)
	}
	b.Entries = append(b.Entries, fixture.Entry{Domain: "HomeDomain", Path: "Library/Added.txt", Flags: fixture.FlagFile, Data: []byte("new\n")})
	if err := b.Write(src); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rebuilt tree", func() bool { _, err := os.Stat(m.path("files/HomeDomain/Library/Added.txt")); return err == nil })
	if _, err := os.ReadFile(db + "-shm"); err != nil {
		t.Errorf("the -shm stand-in after a rebuild: %v", err)
	}
	if got := count(); got != "2" {
		t.Errorf("after the rebuild: %s rows, want 2", got)
	}
}
