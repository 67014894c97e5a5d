package extract

import (
	"github.com/iosphotofs/iosphotofs/model"
	"os"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/text/cases"
)

func TestWindowsName(t *testing.T) {
	for in, want := range map[string]string{
		"IMG_0001.JPG": "IMG_0001.JPG",
		"a:b?c*.txt":   "a_b_c_.txt",
		`x<y>"z|w\v`:   "x_y__z_w_v",
		"trailing. . ": "trailing",
		"CON":          "_CON",
		"con.txt":      "_con.txt",
		"LPT1.tar.gz":  "_LPT1.tar.gz",
		"COM10":        "COM10", // only COM1-COM9 are devices
		"CONSOLE.log":  "CONSOLE.log",
		"...":          "_",
		"tab\there":    "tab_here",
		"Ünïcödé café": "Ünïcödé café",
	} {
		if got := windowsName(in); got != want {
			t.Errorf("windowsName(%q) = %q, want %q", in, got, want)
		}
		if again := windowsName(windowsName(in)); again != windowsName(in) {
			t.Errorf("windowsName is not stable on %q: %q", in, again)
		}
	}
}

func FuzzWindowsName(f *testing.F) {
	f.Add("CON.txt")
	f.Add("a:b. ")
	f.Fuzz(func(t *testing.T, s string) {
		n := windowsName(s)
		if n == "" || n[len(n)-1] == '.' || n[len(n)-1] == ' ' {
			t.Errorf("windowsName(%q) = %q", s, n)
		}
		for _, r := range n {
			if r < 32 || r == ':' || r == '?' || r == '*' || r == '<' || r == '>' || r == '|' || r == '"' || r == '\\' {
				t.Errorf("windowsName(%q) = %q keeps %q", s, n, r)
			}
		}
	})
}

// Names that would be one in dest are numbered, the first in the tree's
// order keeping its own: equal but for case or Unicode form where dest
// folds them, equal once made Windows-safe where that is asked.
func TestNamesThatCollideInDest(t *testing.T) {
	kids := func(names ...string) []*model.Node {
		var out []*model.Node
		for _, n := range names {
			out = append(out, &model.Node{Name: n, Mode: model.ModeRegular})
		}
		return out
	}
	for _, c := range []struct {
		fold, windows bool
		in, want      []string
	}{
		{false, false, []string{"IMG_0001.JPG", "img_0001.jpg"}, nil},
		{true, false, []string{"IMG_0001.JPG", "img_0001.jpg"}, []string{"IMG_0001.JPG", "img_0001 (2).jpg"}},
		{true, false, []string{"caf\u00e9.txt", "cafe\u0301.txt"}, []string{"caf\u00e9.txt", "cafe\u0301 (2).txt"}},
		{true, false, []string{"B", "b", "b (2)"}, []string{"B", "b (2)", "b (2) (2)"}},
		{false, true, []string{"a:b", "a_b", "x"}, []string{"a_b", "a_b (2)", "x"}},
		{true, true, []string{"CON", "con"}, []string{"_CON", "_con (2)"}},
	} {
		x := &run{opt: Options{WindowsNames: c.windows}, fold: c.fold, folder: cases.Fold()}
		if got := x.names(kids(c.in...)); !slices.Equal(got, c.want) {
			t.Errorf("fold %v, windows %v: names(%q) = %q, want %q", c.fold, c.windows, c.in, got, c.want)
		}
	}
}

func TestFoldsNames(t *testing.T) {
	dir := t.TempDir()
	folds := foldsNames(dir, false)
	if runtime.GOOS == "linux" && folds {
		t.Errorf("%s on Linux said to fold names", dir)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the probe left %v", left)
	}
}
