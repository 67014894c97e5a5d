package extract

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/iosphotofs/iosphotofs/model"
	"golang.org/x/text/unicode/norm"
)

// name is how a tree name is written in dest, before names that collide
// there are numbered (names).
func (x *run) name(n string) string {
	if x.opt.WindowsNames {
		return windowsName(n)
	}
	return n
}

// names returns what each of a folder's children is written as, or nil
// when that is their own names. Two names can become one in dest: when
// made Windows-safe ("a:b" and "a_b"), and on a file system that ignores
// case and Unicode normalization, as macOS's and Windows' usually do
// ("IMG_0001.JPG" and "img_0001.jpg", which an iPhone keeps apart). Then
// the later one (in the tree's order) is numbered the way the tree
// numbers equal names, rather than written over the first.
func (x *run) names(children []*model.Node) []string {
	if !x.fold && !x.opt.WindowsNames {
		return nil
	}
	out := make([]string, len(children))
	taken := make(map[string]bool, len(children))
	for i, c := range children {
		base := x.name(c.Name)
		n := base
		for k := 2; taken[x.key(n)]; k++ {
			n = model.Numbered(base, k, c.IsDir())
		}
		taken[x.key(n)] = true
		out[i] = n
	}
	return out
}

// key is what dest compares names by.
func (x *run) key(n string) string {
	if !x.fold {
		return n
	}
	return x.folder.String(norm.NFC.String(n))
}

// foldsNames reports whether the folder dir (which exists) takes names
// that differ only in case, or only in Unicode normalization, for one:
// it writes a probe file (named like a part file, so a killed run's is
// cleared) and looks it up under another case and form. Where nothing
// can be written (a dry run), it assumes what the system usually has.
func foldsNames(dir string, dryRun bool) bool {
	usually := runtime.GOOS == "darwin" || runtime.GOOS == "windows"
	if dryRun {
		return usually
	}
	probe := filepath.Join(dir, partPrefix+"case-\u00e9")
	f, err := os.Create(probe)
	if err != nil {
		return usually
	}
	f.Close()
	defer os.Remove(probe)
	for _, other := range []string{partPrefix + "CASE-\u00e9", partPrefix + "case-e\u0301"} {
		if _, err := os.Lstat(filepath.Join(dir, other)); err == nil {
			return true
		}
	}
	return false
}

// windowsName makes a name one Windows accepts, the same way every run:
// <>:"\|?* and control characters become _, trailing dots and spaces go,
// and the reserved device names (CON, NUL, COM1, ..., with any
// extension) get a leading _.
func windowsName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 32 || strings.ContainsRune(`<>:"\|?*`, r) {
			return '_'
		}
		return r
	}, n)
	n = strings.TrimRight(n, ". ")
	if n == "" {
		return "_"
	}
	stem, _, _ := strings.Cut(n, ".")
	switch strings.ToUpper(strings.TrimRight(stem, " ")) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return "_" + n
	}
	return n
}
