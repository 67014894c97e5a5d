package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// backupRoots are where Finder, iTunes and Apple Devices keep backups.
func backupRoots() []string {
	var roots []string
	if home, err := os.UserHomeDir(); err == nil {
		roots = append(roots,
			filepath.Join(home, "Library", "Application Support", "MobileSync", "Backup"),
			filepath.Join(home, "Apple", "MobileSync", "Backup"))
	}
	if appData := os.Getenv("APPDATA"); appData != "" {
		roots = append(roots, filepath.Join(appData, "Apple Computer", "MobileSync", "Backup"))
	}
	if profile := os.Getenv("USERPROFILE"); profile != "" {
		roots = append(roots, filepath.Join(profile, "Apple", "MobileSync", "Backup"))
	}
	return roots
}

func cmdList(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("list", flag.ContinueOnError)
	dirs, err := parse(fl, args, 0, 1<<20)
	if err != nil {
		return err
	}
	explicit := len(dirs) > 0
	if !explicit {
		dirs = backupRoots()
	}
	var found []*backup.Backup
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, b := range findBackups(d) {
			if !seen[b.Dir] {
				seen[b.Dir] = true
				found = append(found, b)
			}
		}
	}
	if len(found) == 0 {
		if explicit {
			return fmt.Errorf("no backups found in %v", dirs)
		}
		fmt.Fprintf(stdout, "no backups found in the usual places:\n")
		for _, d := range dirs {
			fmt.Fprintf(stdout, "  %s\n", d)
		}
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DEVICE\tiOS\tLAST BACKUP\tENCRYPTED\tSIZE\tKIND\tPATH")
	for _, b := range found {
		date := "unknown"
		if !b.Info.LastBackup.IsZero() {
			date = b.Info.LastBackup.Local().Format(time.DateTime)
		}
		kind := map[backup.Kind]string{backup.Modern: "modern", backup.Legacy: "legacy", backup.NoManifest: "damaged"}[b.Kind]
		if b.Info.Interrupted() {
			kind += ", interrupted"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orDash(b.Info.DeviceName), orDash(b.Info.ProductVersion),
			date, index.YesNo(b.Info.Encrypted), index.HumanBytes(diskSize(b.Dir)), kind, b.Dir)
	}
	return w.Flush()
}

// findBackups returns dir itself if it is a backup, else the backups in it.
func findBackups(dir string) []*backup.Backup {
	if b, err := backup.Detect(dir); err == nil {
		return []*backup.Backup{b}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []*backup.Backup
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if b, err := backup.Detect(filepath.Join(dir, e.Name())); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func diskSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
