package index

import (
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/printable"
	"github.com/iosphotofs/iosphotofs/model"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// Summary is what info/summary.txt and `info --json` report.
type Summary struct {
	Source   string      `json:"source"`
	Kind     string      `json:"kind"`
	Backup   backup.Info `json:"backup"`
	Files    int64       `json:"files"`
	Bytes    int64       `json:"bytes"`
	Dirs     int         `json:"directories"`
	Symlinks int         `json:"symlinks"`
	Missing  int         `json:"missing_payloads"`
	// SizeDiffers counts payloads whose size is not the manifest's (the
	// payload's own is shown).
	SizeDiffers int            `json:"sizes_differing_from_manifest"`
	Skipped     int            `json:"skipped_rows"`
	Orphans     int            `json:"orphan_payloads"`
	Domains     map[string]int `json:"files_by_domain_group"`
	Photos      *PhotoSummary  `json:"photos,omitempty"`
	// Recovered describes the payloads no manifest row names.
	Recovered *RecoverySummary `json:"recovered,omitempty"`
	Problems  []string         `json:"problems"`
}

// Text renders the summary for info/summary.txt and `iosphotofs info`.
func (s *Summary) Text() string {
	var b strings.Builder
	line := func(k, format string, a ...any) {
		fmt.Fprintf(&b, "%-18s %s\n", k+":", printable.Line(fmt.Sprintf(format, a...)))
	}
	line("Source", "%s", s.Source)
	line("Kind", "%s", s.Kind)
	if s.Backup.UDID != "" {
		s.backupLines(line)
	} else {
		line("Files", "%d (%s)", s.Files, HumanBytes(s.Bytes))
	}
	line("Problems", "%d (see info/problems.txt)", len(s.Problems))
	counts := func(title string, m map[string]int) {
		if len(m) == 0 {
			return
		}
		b.WriteString("\n" + title + ":\n")
		for _, k := range slices.Sorted(maps.Keys(m)) {
			fmt.Fprintf(&b, "  %-30s %d\n", printable.Line(k), m[k])
		}
	}
	if p := s.Photos; p != nil {
		line("Photos and videos", "%d (in by-date/ and category/)", p.Count)
	}
	counts("Files by domain", s.Domains)
	if p := s.Photos; p != nil {
		counts("Photos by category", p.Categories)
		counts("Capture times from", p.DatesFrom)
	}
	return b.String()
}

// RunText says what this build took from the caches of earlier ones: not
// part of info/summary.txt, which must be the same on every mount.
func (s *Summary) RunText() string {
	var b strings.Builder
	if p := s.Photos; p != nil {
		fmt.Fprintf(&b, "%-18s %d read, %d from the cache of an earlier mount\n", "Media headers:", p.HeadersRead, p.HeadersCached)
	}
	if r := s.Recovered; r != nil && r.SearchCached {
		fmt.Fprintf(&b, "%-18s taken from the cache of an earlier mount\n", "Camera-roll search:")
	}
	return b.String()
}

// backupLines describes the backup itself.
func (s *Summary) backupLines(line func(k, format string, a ...any)) {
	i := s.Backup
	line("Device", "%s", orUnknown(strings.TrimSpace(i.DeviceName+" "+paren(i.ProductType))))
	line("iOS", "%s", orUnknown(strings.TrimSpace(i.ProductVersion+" "+paren(i.BuildVersion))))
	if i.LastBackup.IsZero() {
		line("Last backup", "unknown")
	} else {
		line("Last backup", "%s", i.LastBackup.UTC().Format(time.RFC3339))
	}
	line("Encrypted", "%s", YesNo(i.Encrypted))
	switch {
	case i.Interrupted():
		line("State", "interrupted backup (Status.plist SnapshotState %q)", i.SnapshotState)
	case i.SnapshotState == "":
		line("State", "unknown (no Status.plist)")
	default:
		line("State", "complete")
	}
	line("Files", "%d (%s)", s.Files, HumanBytes(s.Bytes))
	line("Directories", "%d", s.Dirs)
	line("Symlinks", "%d", s.Symlinks)
	line("Missing payloads", "%d (manifest rows whose payload is absent; not shown)", s.Missing)
	line("Sizes differing", "%d (payloads whose size is not the manifest's; shown with their own)", s.SizeDiffers)
	line("Skipped rows", "%d (unknown flags or unusable paths)", s.Skipped)
	line("Orphan payloads", "%d (payloads no manifest row names)", s.Orphans)
	if s.Recovered != nil {
		s.Recovered.lines(line)
	}
}

// ProblemsText renders info/problems.txt: one problem a line.
func (s *Summary) ProblemsText() string {
	if len(s.Problems) == 0 {
		return ""
	}
	var b strings.Builder
	for _, p := range s.Problems {
		b.WriteString(printable.Line(p) + "\n")
	}
	return b.String()
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// YesNo writes a flag for people.
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// HumanBytes writes a size in binary units ("1.5 GiB").
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// finishWithInfo puts info/summary.txt and info/problems.txt into the
// tree (and, for Spotlight, .metadata_never_index at its root), and
// finishes it.
func finishWithInfo(b *builder, s *Summary, opt Options) *Tree {
	if opt.NeverIndex {
		b.add("", &model.Node{Name: ".metadata_never_index", Ino: model.HashIno(".metadata_never_index"), Mode: model.MadeFile,
			Mtime: b.dirTime, Ctime: b.dirTime, Content: model.Bytes(nil)})
	}
	rep := &report{built: s}
	for name, render := range map[string]func(*Summary) string{
		"summary.txt":  (*Summary).Text,
		"problems.txt": (*Summary).ProblemsText,
	} {
		b.add("info", &model.Node{Name: name, Ino: model.HashIno("info/" + name), Mode: model.MadeFile,
			Mtime: b.dirTime, Ctime: b.dirTime, Content: &infoText{rep: rep, render: render}})
	}
	t := b.finish()
	rep.root, t.report = t.Root, rep
	return t
}
