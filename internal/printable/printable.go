// Package printable shows text that may hold any bytes (names from a
// backup) on one line of a terminal or a text file: control characters,
// DEL and invalid UTF-8 are written as Go escapes (\x01, \t, \u0085,
// \xff), everything else as it is, so a name cannot end a line, move the
// cursor or pass for another.
package printable

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s with what a terminal would not show as a character
// escaped (a backslash itself stays: it is printable).
func Line(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case shown(r):
			b.WriteString(s[i : i+n])
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += n
	}
	return b.String()
}

func shown(r rune) bool { return unicode.IsPrint(r) || r == ' ' }

// isPlain reports whether s needs no escaping (the usual case, which
// costs no allocation).
func isPlain(s string) bool {
	for i, r := range s {
		if !shown(r) || r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD") {
			return false
		}
	}
	return true
}
