package model

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// MaxName is the longest name (in bytes) most filesystems accept.
const MaxName = 255

// HashIno is the inode number of a key (a path, say): stable across
// mounts, and unique in practice (63 bits of SHA-1; builders check).
func HashIno(key string) uint64 {
	sum := sha1.Sum([]byte(key))
	return IDIno(sum[:8])
}

// IDIno takes an inode number from the start of a SHA-1 (a fileID is one).
func IDIno(b []byte) uint64 {
	return binary.BigEndian.Uint64(b) >> 1 // stay clear of the top bit: some tools treat inos as signed
}

// Numbered returns "stem (k).ext" (directories: "name (k)"), kept within
// MaxName bytes.
func Numbered(name string, k int, isDir bool) string {
	stem, ext := name, ""
	if !isDir {
		ext = path.Ext(name)
		if ext == name || len(ext) > 32 {
			ext = ""
		}
		stem = name[:len(name)-len(ext)]
	}
	suffix := fmt.Sprintf(" (%d)", k)
	return truncateUTF8(stem, MaxName-len(suffix)-len(ext)) + suffix + ext
}

// SafeName makes one path component safe to show: no '/' or NUL, never
// empty, "." or "..", at most 255 bytes (long names keep their extension
// and gain a short hash of the full name, so shortened names stay unique).
func SafeName(s string) string {
	switch s {
	case "":
		return "_"
	case ".":
		return "_"
	case "..":
		return "__"
	}
	if strings.ContainsAny(s, "/\x00") {
		s = strings.NewReplacer("/", "_", "\x00", "_").Replace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "_")
	}
	if len(s) <= MaxName {
		return s
	}
	ext := path.Ext(s)
	if len(ext) > 32 {
		ext = ""
	}
	sum := sha1.Sum([]byte(s))
	tag := fmt.Sprintf("~%x", sum[:4])
	return truncateUTF8(s[:len(s)-len(ext)], MaxName-len(tag)-len(ext)) + tag + ext
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SafePath splits a source's relative path into safe names. Empty and "."
// components are dropped and ".." removes the previous name (never going
// above the start), so nothing can point outside its folder; changed tells
// whether the names differ from the path's own, which callers report.
func SafePath(p string) (names []string, changed bool) {
	for part := range strings.SplitSeq(p, "/") {
		switch part {
		case "", ".":
			changed = changed || p != ""
		case "..":
			changed = true
			if len(names) > 0 {
				names = names[:len(names)-1]
			}
		default:
			safe := SafeName(part)
			changed = changed || safe != part
			names = append(names, safe)
		}
	}
	return names, changed
}

// SplitSafe returns the safe folder path and name of a relative path. Most
// paths need no change, and for those it allocates nothing.
func SplitSafe(p string) (dir, name string, changed bool) {
	if isSafePath(p) {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return "", p, false
		}
		return p[:i], p[i+1:], false
	}
	names, changed := SafePath(p)
	if len(names) == 0 {
		return "", "", changed
	}
	return strings.Join(names[:len(names)-1], "/"), names[len(names)-1], changed
}

// isSafePath reports whether SafePath would keep p as it is.
func isSafePath(p string) bool {
	if p == "" || strings.IndexByte(p, 0) >= 0 || !utf8.ValidString(p) {
		return false
	}
	start := 0
	for i := 0; i <= len(p); i++ {
		if i < len(p) && p[i] != '/' {
			continue
		}
		part := p[start:i]
		if part == "" || part == "." || part == ".." || len(part) > MaxName {
			return false
		}
		start = i + 1
	}
	return true
}
