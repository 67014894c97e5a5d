//go:build !purego

package crypt

import "golang.org/x/sys/cpu"

// hasAESNI: the CPU decrypts AES in hardware; decryptECB may be used.
var hasAESNI = cpu.X86.HasAES

//go:noescape
func decryptECB(nr int, dk *byte, dst, src *byte, n int)
