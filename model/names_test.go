package model

import (
	"strings"
	"testing"
)

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"plain.txt":  "plain.txt",
		"":           "_",
		".":          "_",
		"..":         "__",
		"a\x00b":     "a_b",
		"a/b":        "a_b",
		"ok..name":   "ok..name",
		"bad\xffutf": "bad_utf",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("é", 200) + ".HEIC" // 405 bytes
	got := SafeName(long)
	if len(got) > 255 || !strings.HasSuffix(got, ".HEIC") || !strings.HasPrefix(got, "éé") {
		t.Errorf("SafeName(long) = %q (%d bytes)", got, len(got))
	}
	if !strings.Contains(got, "~") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("SafeName(long) lost its hash or split a character: %q", got)
	}
	other := SafeName(strings.Repeat("é", 199) + "e.HEIC")
	if other == got {
		t.Error("two long names that differ only at the end shortened to the same name")
	}
}

func TestSafePath(t *testing.T) {
	for in, want := range map[string]struct {
		path    string
		changed bool
	}{
		"a/b/c":               {"a/b/c", false},
		"/a//b/./c/":          {"a/b/c", true},
		"a/../b":              {"b", true},
		"../../etc/passwd":    {"etc/passwd", true},
		"Library/../../x/../": {"", true},
	} {
		names, changed := SafePath(in)
		if got := strings.Join(names, "/"); got != want.path || changed != want.changed {
			t.Errorf("SafePath(%q) = %q %v, want %q %v", in, got, changed, want.path, want.changed)
		}
	}
}
