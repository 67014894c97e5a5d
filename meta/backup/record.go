// Package backup knows the layout of an iPhone backup folder: which kind it
// is, its plists, how file IDs are formed and where payloads live
// (FORMATS.md 1.1-1.3, 1.7). The manifest readers in meta/manifest produce
// the Records defined here.
package backup

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"

	"github.com/iosphotofs/iosphotofs/meta/mbfile"
)

// ID is a decoded fileID: SHA-1 of "domain-relativePath".
type ID [20]byte

// FileID computes the fileID of a domain and relative path, hashing the
// bytes exactly as given.
func FileID(domain, relativePath string) ID {
	h := sha1.New()
	h.Write([]byte(domain))
	h.Write([]byte{'-'})
	h.Write([]byte(relativePath))
	var id ID
	h.Sum(id[:0])
	return id
}

// ParseID decodes 40 hex digits (either case).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 40 {
		return id, errors.New("fileID is not 40 hex digits")
	}
	_, err := hex.Decode(id[:], []byte(s))
	return id, err
}

func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Type is what a manifest row describes.
type Type uint8

const (
	Unknown Type = iota // a flags value we do not know (such rows are skipped)
	Regular
	Directory
	Symlink
)

// TypeOfFlags maps Manifest.db's flags column.
func TypeOfFlags(flags int64) Type {
	switch flags {
	case 1:
		return Regular
	case 2:
		return Directory
	case 4:
		return Symlink
	}
	return Unknown
}

// TypeOfMode maps the S_IFMT bits of a mode (Manifest.mbdb has no flags).
func TypeOfMode(mode int64) Type {
	switch mode & 0o170000 {
	case 0o100000:
		return Regular
	case 0o040000:
		return Directory
	case 0o120000:
		return Symlink
	}
	return Unknown
}

// Record is one manifest row.
type Record struct {
	ID           ID
	Domain       string
	RelativePath string
	Type         Type
	Flags        int64 // the raw flags (Manifest.db) for reporting unknown ones
	File         mbfile.File
	// Damaged means the row's metadata could not be read: File is empty and
	// sizes and times must come from elsewhere.
	Damaged bool
	// Carved means the row was found in a page of a damaged manifest, not
	// through its b-tree: it may be an old copy, so the payload's own size
	// is the truth.
	Carved bool
}
