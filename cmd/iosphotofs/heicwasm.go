package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gen2brain/heic"
	"github.com/iosphotofs/iosphotofs/convert"
)

// heicWASMCommand is the hidden command the converter runs as a child
// process for a HEIC libheif could not decode. gen2brain/heic picks its
// decoder with one package-wide switch: the child sets it for itself, so
// the serving process never changes it under conversions in flight (and
// the WASM decoder's 1.4 GB for a 24 MP photo goes back to the system
// when the child exits).
const heicWASMCommand = "_heic-wasm"

// cmdHEICWASM converts the HEIC on stdin into a JPEG on stdout with the
// WASM decoder; the one argument is the JPEG quality.
func cmdHEICWASM(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"usage: " + heicWASMCommand + " QUALITY"}
	}
	quality, err := strconv.Atoi(args[0])
	if err != nil {
		return usageError{err.Error()}
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return err
	}
	heic.ForceWasmMode = true
	out, err := convert.HEICToJPEG(bytes.NewReader(data), int64(len(data)), quality)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// wasmInChild is the converter's Fallback: the HEIC goes through a child
// process running heicWASMCommand.
func wasmInChild(r io.ReaderAt, size int64, quality int) ([]byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	c := exec.Command(exe, heicWASMCommand, strconv.Itoa(quality))
	c.Stdin = io.NewSectionReader(r, 0, size)
	var out, msg bytes.Buffer
	c.Stdout, c.Stderr = &out, &msg
	if err := c.Run(); err != nil {
		why := strings.TrimPrefix(strings.TrimSpace(msg.String()), "iosphotofs: ")
		return nil, fmt.Errorf("the WASM decoder: %s", cmp.Or(why, err.Error()))
	}
	return out.Bytes(), nil
}
