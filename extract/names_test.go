package extract

import "testing"

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
