package backup

import (
	"bytes"
	"encoding/binary"
	"os"
	"syscall"
)

// eachName calls fn with the name and type (d_type: dtUnknown where the
// filesystem does not say) of every entry of the open folder f (fn must
// not keep the name), read from the kernel's linux_dirent64 records in
// place: a backup's 300,000 payload names then cost no allocation each.
// It stops at the first error, having given what it could read.
func eachName(f *os.File, fn func(name []byte, typ byte)) {
	const nameAt = 19 // after d_ino, d_off, d_reclen and d_type
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.ReadDirent(int(f.Fd()), buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for b := buf[:n]; len(b) >= nameAt; {
			size := int(binary.NativeEndian.Uint16(b[16:18]))
			if size < nameAt || size > len(b) {
				return
			}
			typ, name := b[nameAt-1], b[nameAt:size]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if string(name) != "." && string(name) != ".." {
				fn(name, typ)
			}
			b = b[size:]
		}
	}
}
