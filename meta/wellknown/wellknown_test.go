package wellknown

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// The fileIDs FORMATS.md 1.10 lists, each checked there with sha1sum.
var documented = map[string]string{
	"3d0d7e5fb2ce288813306e4d4636395e047a3d28": "HomeDomain-Library/SMS/sms.db",
	"31bb7ba8914766d4ba40d6dfb6113c8b614be442": "HomeDomain-Library/AddressBook/AddressBook.sqlitedb",
	"cd6702cea29fe89cf280a76794405adb17f9a0ee": "HomeDomain-Library/AddressBook/AddressBookImages.sqlitedb",
	"2041457d5fe04d39d0ab481178355df6781e6858": "HomeDomain-Library/Calendar/Calendar.sqlitedb",
	"ca3bc056d4da0bbf88b5fb3be254f3b7147e639c": "HomeDomain-Library/Notes/notes.sqlite",
	"4f98687d8ab0d6d1a371110e6b7300f6e465bef2": "AppDomainGroup-group.com.apple.notes-NoteStore.sqlite",
	"5a4935c78a5255723f707230a451d79c540d2741": "HomeDomain-Library/CallHistoryDB/CallHistory.storedata",
	"992df473bbb9e132f4b3b6e4d33f72171e97bc7a": "HomeDomain-Library/Voicemail/voicemail.db",
	"1a0e7afc19d307da602ccdcece51af33afe92c53": "HomeDomain-Library/Safari/History.db",
	"d1f062e2da26192a6625d968274bfda8d07821e4": "HomeDomain-Library/Safari/Bookmarks.db",
	"12b144c0bd44f2b3dffd9186d3f9c05b917cee25": "CameraRollDomain-Media/PhotoData/Photos.sqlite",
	"0dc926a1810f7aee4e8f38793ed788701f93bf9d": "HomeDomain-Library/Preferences/.GlobalPreferences.plist",
	"943624fd13e27b800cc6d9ce1100c22356ee365c": "HomeDomain-Library/Accounts/Accounts3.sqlite",
	"fa2e5ac3b7a62c8b7cb21e440c79eedd218550ea": "HealthDomain-Health/healthdb.sqlite",
	"51a4616e576dd33cd2abadfea874eb8ff246bf0e": "KeychainDomain-keychain-backup.plist",
	"7c7fba66680ef796b916b067077cc246adacf01d": "AppDomainGroup-group.net.whatsapp.WhatsApp.shared-ChatStorage.sqlite",
}

func TestTableNamesDocumentedIDs(t *testing.T) {
	tab := Table()
	for hexID, want := range documented {
		id, err := backup.ParseID(hexID)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := tab[id]
		if !ok {
			t.Errorf("%s (%s) not in the table", hexID, want)
			continue
		}
		if got := p.Domain + "-" + p.Rel; got != want {
			t.Errorf("%s names %q, want %q", hexID, got, want)
		}
	}
	if len(tab) < 300 {
		t.Errorf("table has %d paths, want hundreds", len(tab))
	}
	wal, _ := backup.ParseID(sha1hex("HomeDomain-Library/SMS/sms.db-wal"))
	if tab[wal].Rel != "Library/SMS/sms.db-wal" {
		t.Errorf("sms.db-wal is not in the table: %+v", tab[wal])
	}
}

func sha1hex(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func idOf(s string) backup.ID {
	id, _ := backup.ParseID(sha1hex(s))
	return id
}

func TestFormsTriesBothNormalForms(t *testing.T) {
	nfc := Path{"MediaDomain", "Library/SMS/Attachments/caf\u00e9.jpg"}
	got := Forms(nfc)
	if len(got) != 2 || got[1].Rel != "Library/SMS/Attachments/cafe\u0301.jpg" {
		t.Errorf("Forms(%q) = %q", nfc.Rel, got)
	}
	if ascii := Forms(Path{"HomeDomain", "a/b"}); len(ascii) != 1 {
		t.Errorf("an ASCII path has one form, got %q", ascii)
	}
}

func TestSearchCameraRoll(t *testing.T) {
	names := []string{
		"Media/DCIM/100APPLE/IMG_0001.HEIC",
		"Media/DCIM/100APPLE/IMG_0001.MOV",
		"Media/DCIM/100APPLE/IMG_E0001.JPG",
		"Media/DCIM/100APPLE/IMG_O0001.AAE",
		"Media/DCIM/101APPLE/IMG_1000.JPG",
		"Media/DCIM/103APPLE/IMG_9999.PNG",
		"Media/PhotoData/Mutations/DCIM/103APPLE/IMG_9999/Adjustments/FullSizeRender.jpg",
		"Media/DCIM/110APPLE/IMG_5000.JPG", // past two empty folders: pruned
	}
	var ids []backup.ID
	for _, n := range names {
		ids = append(ids, idOf("CameraRollDomain-"+n))
	}
	ids = append(ids, idOf("HomeDomain-Library/SMS/sms.db")) // not a camera-roll name
	set := NewIDSet(ids)
	found := func(r SearchResult) []string {
		var out []string
		for _, p := range r.Found {
			if p.Domain != "CameraRollDomain" {
				t.Errorf("found %+v outside the camera roll", p)
			}
			out = append(out, p.Rel)
		}
		slices.Sort(out)
		return out
	}
	pruned := SearchCameraRoll(set, SearchOptions{Workers: 3})
	if want := slices.Sorted(slices.Values(names[:7])); !slices.Equal(found(pruned), want) {
		t.Errorf("pruned search found %q, want %q", found(pruned), want)
	}
	// 100, 101, (102 empty), 103, 104 and 105 empty: stop before 106.
	if pruned.Folders != 6 || pruned.Candidates != int64(6*CandidatesPerFolder) {
		t.Errorf("pruned search tried %d folders, %d names", pruned.Folders, pruned.Candidates)
	}
	further := SearchCameraRoll(set, SearchOptions{Workers: 2, AtLeastTo: 110})
	if want := slices.Sorted(slices.Values(names)); !slices.Equal(found(further), want) {
		t.Errorf("search to 110 found %q, want %q", found(further), want)
	}
}

func TestIDSet(t *testing.T) {
	a, b := idOf("x"), idOf("y")
	near := a
	near[19] ^= 1 // same first 24 bits: the bitmap says maybe, the map says no
	s := NewIDSet([]backup.ID{a})
	if !s.Has(a) || s.Has(b) || s.Has(near) {
		t.Errorf("Has(a, b, near) = %v %v %v", s.Has(a), s.Has(b), s.Has(near))
	}
}

func TestDatabaseName(t *testing.T) {
	for _, c := range []struct {
		tables []string
		want   string
	}{
		{[]string{"_SqliteDatabaseProperties", "message", "HANDLE", "chat", "attachment"}, "sms.db"},
		{[]string{"ZASSET", "ZADDITIONALASSETATTRIBUTES", "Z_PRIMARYKEY"}, "Photos.sqlite"},
		{[]string{"ZGENERICASSET"}, "Photos.sqlite"},
		{[]string{"message"}, ""}, // not enough to say
		{nil, ""},
	} {
		if got := DatabaseName(c.tables); got != c.want {
			t.Errorf("DatabaseName(%q) = %q, want %q", c.tables, got, c.want)
		}
	}
}

func TestAttachmentPath(t *testing.T) {
	for in, want := range map[string]string{
		"~/Library/SMS/Attachments/0a/10/A-B/IMG_1234.HEIC":                  "Library/SMS/Attachments/0a/10/A-B/IMG_1234.HEIC",
		"/var/mobile/Library/SMS/Attachments/0a/10/x.jpg":                    "Library/SMS/Attachments/0a/10/x.jpg",
		"/private/var/mobile/Library/SMS/Attachments/0a/10/x.jpg":            "Library/SMS/Attachments/0a/10/x.jpg",
		"~/Library/Caches/x.jpg":                                             "",
		"Library/SMS/Attachments/0a/10/x.jpg":                                "",
		"/var/mobile/Library/SMS/Attachments/../../../../etc/passwd-attempt": "Library/SMS/Attachments/../../../../etc/passwd-attempt",
	} {
		p, ok := AttachmentPath(in)
		if ok != (want != "") || p.Rel != want || (ok && p.Domain != "MediaDomain") {
			t.Errorf("AttachmentPath(%q) = %+v, %v; want %q", in, p, ok, want)
		}
	}
}

func FuzzAttachmentPath(f *testing.F) {
	f.Add("~/Library/SMS/Attachments/0a/10/x.jpg")
	f.Add("/private/var/mobile/Library/SMS/Attachments/")
	f.Fuzz(func(t *testing.T, s string) {
		if p, ok := AttachmentPath(s); ok && (p.Domain != "MediaDomain" || len(p.Rel) >= len(s)) {
			t.Errorf("AttachmentPath(%q) = %+v", s, p)
		}
	})
}

// BenchmarkSearchAll searches all 900 folders; the bar is 90 million
// names in at most 12 s (reported as names/s).
func BenchmarkSearchAll(b *testing.B) {
	set := NewIDSet([]backup.ID{idOf("CameraRollDomain-Media/DCIM/500APPLE/IMG_0500.JPG")})
	for b.Loop() {
		r := SearchCameraRoll(set, SearchOptions{Workers: 2, All: true})
		if len(r.Found) != 1 {
			b.Fatal(r.Found)
		}
		b.ReportMetric(float64(r.Candidates)/b.Elapsed().Seconds(), "names/s")
	}
}

// BenchmarkSearchPruned is a camera roll over 100APPLE-104APPLE (bar: 2 s).
func BenchmarkSearchPruned(b *testing.B) {
	var ids []backup.ID
	for f := 100; f <= 104; f++ {
		ids = append(ids, idOf("CameraRollDomain-Media/DCIM/"+string(rune('0'+f/100))+string(rune('0'+f/10%10))+string(rune('0'+f%10))+"APPLE/IMG_0001.JPG"))
	}
	set := NewIDSet(ids)
	for b.Loop() {
		if r := SearchCameraRoll(set, SearchOptions{Workers: 2}); len(r.Found) != 5 {
			b.Fatal(r.Found)
		}
	}
}
