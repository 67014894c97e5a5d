package backup

import (
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"os"
	"path/filepath"
	"time"

	"howett.net/plist"
)

// Kind is the kind of backup, decided by what exists (FORMATS.md 1.2).
type Kind int

const (
	NotBackup  Kind = iota
	Modern          // Manifest.db
	Legacy          // Manifest.mbdb
	NoManifest      // payloads without a manifest (damaged or interrupted)
)

func (k Kind) String() string {
	switch k {
	case Modern:
		return "modern (Manifest.db)"
	case Legacy:
		return "legacy (Manifest.mbdb)"
	case NoManifest:
		return "no manifest (damaged or interrupted backup)"
	}
	return "not a backup"
}

// Info is what Info.plist, Manifest.plist and Status.plist say. Every field
// is optional: backups are often incomplete.
type Info struct {
	DeviceName     string    `json:"device_name,omitempty"`
	ProductType    string    `json:"product_type,omitempty"`
	ProductVersion string    `json:"ios_version,omitempty"`
	BuildVersion   string    `json:"build_version,omitempty"`
	SerialNumber   string    `json:"serial_number,omitempty"`
	UDID           string    `json:"udid,omitempty"`
	LastBackup     time.Time `json:"last_backup,omitzero"`
	Encrypted      bool      `json:"encrypted"`
	ManifestKey    []byte    `json:"-"`
	BackupKeyBag   []byte    `json:"-"`
	SnapshotState  string    `json:"snapshot_state,omitempty"`
	IsFullBackup   bool      `json:"full_backup"`
}

// Interrupted reports whether Status.plist says the snapshot did not finish.
func (i Info) Interrupted() bool {
	return i.SnapshotState != "" && i.SnapshotState != "finished"
}

// Backup is a detected backup folder.
type Backup struct {
	Dir  string
	Kind Kind
	Info Info
	// Problems found while reading the plists; none of them is fatal.
	Problems []string
}

// ErrNotBackup is returned by Detect for a folder that is not a backup.
var ErrNotBackup = errors.New("not an iPhone backup (no Manifest.db, Manifest.mbdb or backup payloads)")

// Detect decides what dir holds.
func Detect(dir string) (*Backup, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s: not a folder", dir)
	}
	b := &Backup{Dir: dir}
	switch {
	case b.isFile("Manifest.db"):
		b.Kind = Modern
	case b.isFile("Manifest.mbdb"):
		b.Kind = Legacy
	case hasPayloads(dir):
		b.Kind = NoManifest
	default:
		return nil, fmt.Errorf("%s: %w", dir, ErrNotBackup)
	}
	b.readPlists()
	return b, nil
}

// isFile reports whether the backup has name as a regular file; one that
// is there but is not (a symlink, which could lead out of the backup, a
// FIFO, which would block its reader) is a problem, and not read.
func (b *Backup) isFile(name string) bool {
	st, err := os.Lstat(filepath.Join(b.Dir, name))
	if err == nil && !st.Mode().IsRegular() {
		b.Problems = append(b.Problems, fmt.Sprintf("%s: %v: not read", name, srcdir.NotRegularError(st.Mode())))
	}
	return err == nil && st.Mode().IsRegular()
}

// hasPayloads looks for one payload-looking name, flat or in an xx/ folder.
func hasPayloads(dir string) bool {
	entries, err := readDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && isHexID(name) {
			return true
		}
		if e.IsDir() && len(name) == 2 && isHex(name) {
			sub, err := readDir(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			for _, s := range sub {
				if isHexID(s.Name()) && s.Name()[:2] == name {
					return true
				}
			}
		}
	}
	return false
}

// Payload names are lowercase hex, as fileIDs are written.
func isHexID(s string) bool { return len(s) == 40 && isHex(s) }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

type infoPlist struct {
	DeviceName     string    `plist:"Device Name"`
	DisplayName    string    `plist:"Display Name"`
	ProductType    string    `plist:"Product Type"`
	ProductVersion string    `plist:"Product Version"`
	BuildVersion   string    `plist:"Build Version"`
	SerialNumber   string    `plist:"Serial Number"`
	UniqueID       string    `plist:"Unique Identifier"`
	TargetID       string    `plist:"Target Identifier"`
	LastBackupDate time.Time `plist:"Last Backup Date"`
}

type manifestPlist struct {
	IsEncrypted  bool      `plist:"IsEncrypted"`
	Date         time.Time `plist:"Date"`
	ManifestKey  []byte    `plist:"ManifestKey"`
	BackupKeyBag []byte    `plist:"BackupKeyBag"`
	Lockdown     struct {
		DeviceName     string `plist:"DeviceName"`
		ProductVersion string `plist:"ProductVersion"`
		ProductType    string `plist:"ProductType"`
		BuildVersion   string `plist:"BuildVersion"`
		SerialNumber   string `plist:"SerialNumber"`
		UniqueDeviceID string `plist:"UniqueDeviceID"`
	} `plist:"Lockdown"`
}

type statusPlist struct {
	SnapshotState string    `plist:"SnapshotState"`
	IsFullBackup  bool      `plist:"IsFullBackup"`
	Date          time.Time `plist:"Date"`
}

// maxPlist bounds what we read of a backup's plists (Info.plist of a phone
// with many apps embeds their icons and can reach megabytes, not more).
const maxPlist = 64 << 20

// readPlist decodes name into v; a missing file is not a problem.
func (b *Backup) readPlist(name string, v any) bool {
	data, err := srcdir.ReadFile(filepath.Join(b.Dir, name), maxPlist)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if pe := (*os.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // the name says which file
	}
	if err == nil {
		_, err = plist.Unmarshal(data, v)
	}
	if err != nil {
		b.Problems = append(b.Problems, fmt.Sprintf("%s: unreadable: %v", name, err))
		return false
	}
	return true
}

func (b *Backup) readPlists() {
	var ip infoPlist
	var mp manifestPlist
	var sp statusPlist
	hasInfo := b.readPlist("Info.plist", &ip)
	b.readPlist("Manifest.plist", &mp)
	b.readPlist("Status.plist", &sp)
	i := &b.Info
	i.DeviceName = first(ip.DeviceName, ip.DisplayName, mp.Lockdown.DeviceName)
	i.ProductType = first(ip.ProductType, mp.Lockdown.ProductType)
	i.ProductVersion = first(ip.ProductVersion, mp.Lockdown.ProductVersion)
	i.BuildVersion = first(ip.BuildVersion, mp.Lockdown.BuildVersion)
	i.SerialNumber = first(ip.SerialNumber, mp.Lockdown.SerialNumber)
	i.UDID = first(ip.UniqueID, ip.TargetID, mp.Lockdown.UniqueDeviceID, filepath.Base(b.Dir))
	i.Encrypted = mp.IsEncrypted
	i.ManifestKey = mp.ManifestKey
	i.BackupKeyBag = mp.BackupKeyBag
	i.SnapshotState = sp.SnapshotState
	i.IsFullBackup = sp.IsFullBackup
	for _, t := range []time.Time{ip.LastBackupDate, sp.Date, mp.Date} {
		if !t.IsZero() {
			i.LastBackup = t.UTC()
			break
		}
	}
	if !hasInfo {
		b.Problems = append(b.Problems, "Info.plist: missing")
	}
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
