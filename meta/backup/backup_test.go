package backup_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"howett.net/plist"
)

// Known fileIDs from FORMATS.md 1.10 (checked there with sha1sum).
func TestFileID(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"HomeDomain", "Library/SMS/sms.db"}:                         "3d0d7e5fb2ce288813306e4d4636395e047a3d28",
		{"CameraRollDomain", "Media/PhotoData/Photos.sqlite"}:        "12b144c0bd44f2b3dffd9186d3f9c05b917cee25",
		{"KeychainDomain", "keychain-backup.plist"}:                  "51a4616e576dd33cd2abadfea874eb8ff246bf0e",
		{"AppDomainGroup-group.com.apple.notes", "NoteStore.sqlite"}: "4f98687d8ab0d6d1a371110e6b7300f6e465bef2",
	} {
		if got := backup.FileID(in[0], in[1]).String(); got != want {
			t.Errorf("FileID(%q, %q) = %s, want %s", in[0], in[1], got, want)
		}
	}
	id, err := backup.ParseID("3D0D7E5FB2CE288813306E4D4636395E047A3D28")
	if err != nil || id != backup.FileID("HomeDomain", "Library/SMS/sms.db") {
		t.Errorf("ParseID uppercase = %s, %v", id, err)
	}
	if _, err := backup.ParseID("xyz"); err == nil {
		t.Error("ParseID accepted garbage")
	}
}

func TestDetect(t *testing.T) {
	sample, err := fixture.Sample(false)
	if err != nil {
		t.Fatal(err)
	}
	modern := filepath.Join(t.TempDir(), "modern")
	if err := sample.Write(modern); err != nil {
		t.Fatal(err)
	}
	b, err := backup.Detect(modern)
	if err != nil {
		t.Fatal(err)
	}
	want := backup.Info{DeviceName: "Ana's iPhone", ProductType: "iPhone9,3", ProductVersion: "14.3", BuildVersion: "18C66",
		SerialNumber: "F00000000000", UDID: sample.UDID, LastBackup: sample.Date, SnapshotState: "finished"}
	if b.Kind != backup.Modern || b.Info.DeviceName != want.DeviceName || b.Info.ProductType != want.ProductType ||
		b.Info.ProductVersion != want.ProductVersion || b.Info.BuildVersion != want.BuildVersion || b.Info.UDID != want.UDID ||
		!b.Info.LastBackup.Equal(want.LastBackup) || b.Info.SnapshotState != "finished" || b.Info.Encrypted || b.Info.Interrupted() {
		t.Errorf("modern: kind %v info %+v problems %v", b.Kind, b.Info, b.Problems)
	}

	sample.Legacy = true
	legacy := filepath.Join(t.TempDir(), "legacy")
	if err := sample.Write(legacy); err != nil {
		t.Fatal(err)
	}
	if b, err := backup.Detect(legacy); err != nil || b.Kind != backup.Legacy {
		t.Errorf("legacy: %v %v", b, err)
	}

	// Interrupted: no manifest, payloads in xx/ folders, Status.plist not finished.
	damaged := t.TempDir()
	id := fixture.FileID("HomeDomain", "Library/SMS/sms.db")
	os.MkdirAll(filepath.Join(damaged, id[:2]), 0o755)
	os.WriteFile(filepath.Join(damaged, id[:2], id), []byte("x"), 0o644)
	st, _ := plist.Marshal(map[string]any{"SnapshotState": "uploading", "Date": time.Now()}, plist.BinaryFormat)
	os.WriteFile(filepath.Join(damaged, "Status.plist"), st, 0o644)
	b, err = backup.Detect(damaged)
	if err != nil || b.Kind != backup.NoManifest || !b.Info.Interrupted() {
		t.Errorf("damaged: %+v %v", b, err)
	}

	if _, err := backup.Detect(t.TempDir()); err == nil {
		t.Error("an empty folder was taken for a backup")
	}
}

func TestDamagedPlistIsAProblemNotAnError(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Manifest.db"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "Info.plist"), []byte("<plist><dict><key>Device"), 0o644)
	b, err := backup.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Problems) == 0 {
		t.Error("a broken Info.plist went unreported")
	}
}

func TestScanPayloads(t *testing.T) {
	dir := t.TempDir()
	a := fixture.FileID("D", "a")
	b := fixture.FileID("D", "b")
	os.MkdirAll(filepath.Join(dir, a[:2]), 0o755)
	os.WriteFile(filepath.Join(dir, a[:2], a), []byte("12345"), 0o644)
	os.WriteFile(filepath.Join(dir, b), []byte("1"), 0o644)
	os.WriteFile(filepath.Join(dir, "Manifest.db"), nil, 0o644)
	// c is in both places: the flat copy wins and it is taken once.
	c := fixture.FileID("D", "c")
	os.MkdirAll(filepath.Join(dir, c[:2]), 0o755)
	os.WriteFile(filepath.Join(dir, c[:2], c), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, c), []byte("x"), 0o644)
	// A folder whose listing takes several reads, with a name that is no
	// payload's among them.
	os.MkdirAll(filepath.Join(dir, "5a"), 0o755)
	os.WriteFile(filepath.Join(dir, "5a", "5a-not-a-payload"), nil, 0o644)
	for i := range 3000 {
		id := fmt.Sprintf("5a%038x", i)
		os.WriteFile(filepath.Join(dir, "5a", id), nil, 0o644)
	}
	got, err := backup.ScanPayloads(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	pa, okA := got.Take(backup.FileID("D", "a"))
	if !okA || pa.Flat || pa.Path(backup.FileID("D", "a")) != a[:2]+"/"+a {
		t.Errorf("a = %+v %v", pa, okA)
	}
	pc, okC := got.Take(backup.FileID("D", "c"))
	if !okC || !pc.Flat {
		t.Errorf("c = %+v %v", pc, okC)
	}
	if _, again := got.Take(backup.FileID("D", "a")); again {
		t.Error("a taken twice")
	}
	for i := range 3000 {
		var id backup.ID
		hex.Decode(id[:], []byte(fmt.Sprintf("5a%038x", i)))
		if _, ok := got.Take(id); !ok {
			t.Fatalf("payload %x of a large folder not found", id)
		}
	}
	var rest []string
	got.Rest(func(id backup.ID, p backup.Payload) { rest = append(rest, p.Path(id)) })
	if len(rest) != 1 || rest[0] != b {
		t.Errorf("left = %v, want only the flat %s", rest, b)
	}
}

// FuzzPlists feeds arbitrary bytes to the plist readers as each of the
// three plists of a backup.
func FuzzPlists(f *testing.F) {
	xml, _ := plist.Marshal(map[string]any{"Device Name": "x", "Last Backup Date": time.Unix(0, 0)}, plist.XMLFormat)
	bin, _ := plist.Marshal(map[string]any{"IsEncrypted": true, "Lockdown": map[string]any{"DeviceName": "y"}}, plist.BinaryFormat)
	f.Add(xml)
	f.Add(bin)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "Manifest.db"), nil, 0o644)
		for _, name := range []string{"Info.plist", "Manifest.plist", "Status.plist"} {
			os.WriteFile(filepath.Join(dir, name), data, 0o644)
		}
		if _, err := backup.Detect(dir); err != nil {
			t.Fatal(err)
		}
	})
}
