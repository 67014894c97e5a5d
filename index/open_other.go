//go:build !linux

package index

import "os"

// openNoAtime opens a source file read-only (O_NOATIME is Linux only).
func openNoAtime(root *os.Root, name string) (*os.File, error) {
	return root.Open(name)
}
