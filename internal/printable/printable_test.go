package printable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain name.jpg":    "plain name.jpg",
		"Ünïcödé café 📷":    "Ünïcödé café 📷",
		"a\x01b":            `a\x01b`,
		"line\nbreak\ttab":  `line\nbreak\ttab`,
		"nul\x00":           `nul\x00`,
		"bad\xffutf":        `bad\xffutf`,
		"esc\x1b[31mred":    `esc\x1b[31mred`,
		"del\x7f":           `del\x7f`,
		"next\u0085line":    `next\u0085line`,
		"back\\slash":       `back\slash`,
		"real \uFFFD stays": "real \uFFFD stays",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}

// Whatever the bytes, the line is valid UTF-8 with no control character.
func FuzzLine(f *testing.F) {
	f.Add("a\x01b\xff\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		if !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool { return !shown(r) }) {
			t.Errorf("Line(%q) = %q", s, got)
		}
	})
}
