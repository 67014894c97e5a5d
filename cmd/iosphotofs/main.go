// Command iosphotofs mounts an iPhone backup as a read-only folder tree.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/printable"
	"github.com/iosphotofs/iosphotofs/internal/private"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// Exit codes.
const (
	exitError = 1
	exitUsage = 64 // EX_USAGE
	// exitWrongPassword tells scripts to ask again.
	exitWrongPassword = 2
)

const usage = `iosphotofs shows an iPhone backup (or a Mac's Photo Stream store, or a folder of photos)
as a read-only folder tree: photos by month, by album or stream and by kind, and every file of the
backup under its real name. The mount follows changes to the source.

Usage:
  iosphotofs mount [flags] SOURCE MOUNTPOINT   mount in the foreground; Ctrl-C unmounts
  iosphotofs info [--json] SOURCE              what SOURCE is and what the mount would show
  iosphotofs list [DIR ...]                    backups in the usual places (or in DIRs)
  iosphotofs key SOURCE                        derive an encrypted backup's key once (for --key-file)
  iosphotofs extract [flags] SOURCE DEST [VIEW...]  write the same tree into a real folder (no FUSE
                                               needed); reruns write only what changed
  iosphotofs convert [flags] SOURCE            make the JPEG copies of SOURCE's HEIC photos ahead of time
  iosphotofs version                           print the version

Mount flags:
  --names original|date  photo views' file names: as on the phone (default), or by local
                  capture time, YYYY.MM.DD.HH.MM.SS.ext (also for info)
  --cache-dir DIR keep what photo headers said here (default: the user cache folder), so
                  the next mount reads none; --no-cache keeps nothing
  --password-file FILE  the password of an encrypted backup (or env IOSPHOTOFS_PASSWORD,
                  or typed when asked on a terminal; never on the command line)
  --key-file FILE the key 'iosphotofs key' printed, instead of the password (skips the
                  slow derivation; or env IOSPHOTOFS_KEY; --key HEX shows it to other users)
  --heic-jpeg off|alongside|instead  JPEG copies of HEIC photos in the photo views: none
                  (default), beside each HEIC, or in its place (files/ keeps the original)
  --jpeg-quality N  quality of the JPEG copies (default 92); --jpeg-cache-mib N bounds their
                  cache (default 4096, least recently used first out)
  --no-watch      do not follow changes to the source while mounted
  --allow-other   let other users see the mount (needs user_allow_other in /etc/fuse.conf)
  -v              say what is happening (timings, passthrough)
  --debug         log every FUSE request

Extract flags (and the mount flags that shape the tree):
  --copies        copy a photo in several views into each (default: hard links)
  --dry-run       print what would be written, write nothing

Examples:
  iosphotofs mount testdata/sample-backup ~/iphone-sample
  iosphotofs list
  iosphotofs info ~/Library/Application\ Support/MobileSync/Backup/<UDID>
  iosphotofs mount ~/Library/Application\ Support/MobileSync/Backup/<UDID> ~/iphone
  rsync -a ~/iphone/files/HomeDomain/Library/SMS/ ./sms/
  rsync -a ~/iphone/by-date/ ~/Pictures/iphone/      photos by month, with their real dates
  iosphotofs mount --names date ~/Pictures/export ~/sorted   a folder of exported photos, sorted
  iosphotofs convert <backup> && iosphotofs mount --heic-jpeg instead <backup> ~/iphone   JPEGs, made once
  iosphotofs extract <backup> ~/Pictures/iphone by-date   every photo by month, into real folders
  fusermount3 -u ~/iphone        (or Ctrl-C in the mounting terminal; macOS: umount ~/iphone)
`

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// ioThreads is the fewest threads Go may run at once (GOMAXPROCS). Builds
// open and read many small files (recovery probes every payload), and
// with a cold cache each waits on the disk; a thread blocked in a read
// keeps its place until the runtime notices, so with one thread a core
// the reads wait on each other, not on the disk: recovering 100,000
// payloads cold took 4.8 s with 2 and 2.0 s with 32 (scripts/bench-recover),
// and a warm 300,000-row build the same with either. The CPU-bound steps
// size their parallelism by the cores, not by this.
const ioThreads = 32

func main() {
	// Set once, for the whole process, unless the user chose a value.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(runtime.GOMAXPROCS(0), ioThreads))
	}
	// What a killed iosphotofs left in the temporary folder (copies of
	// databases, decrypted ones included) goes first.
	private.RemoveLeftovers()
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "iosphotofs: %s\n", errorLine(err))
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(os.Stderr, "Run 'iosphotofs --help' for usage.")
		os.Exit(exitUsage)
	}
	var wp errWrongPassword
	if errors.As(err, &wp) {
		os.Exit(exitWrongPassword)
	}
	os.Exit(exitError)
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "mount":
		return cmdMount(rest, stderr)
	case "info":
		return cmdInfo(rest, stdout)
	case "list":
		return cmdList(rest, stdout)
	case "key":
		return cmdKey(rest, stdout)
	case "convert":
		return cmdConvert(rest, stderr)
	case "extract":
		return cmdExtract(rest, stdout, stderr)
	case heicWASMCommand:
		return cmdHEICWASM(rest, os.Stdin, stdout)
	case "version", "--version":
		fmt.Fprintf(stdout, "iosphotofs %s\n", version())
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// parse parses flags that may stand before, between or after the
// positional arguments, and checks how many of those there are.
func parse(fs *flag.FlagSet, args []string, minPos, maxPos int) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Print(usage)
				os.Exit(0)
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		return nil, usageError{fmt.Sprintf("%s: wrong number of arguments", fs.Name())}
	}
	return pos, nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v = strings.TrimPrefix(v+" ", "(devel) ") + s.Value[:12]
			}
		}
		if v != "" {
			return v
		}
	}
	return "dev"
}

// rawWaitStatus is how go-fuse reports a failed fusermount: the wait
// status as a number ("fusermount exited with code 256").
var rawWaitStatus = regexp.MustCompile(`exited with code ([0-9]+)`)

// errorLine gives an error as one line: other programs' multi-line
// messages are joined, and a raw wait status is given as the exit status
// it holds.
func errorLine(err error) string {
	s := printable.Line(strings.Join(strings.Fields(err.Error()), " "))
	return rawWaitStatus.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(rawWaitStatus.FindStringSubmatch(m)[1])
		if n < 256 || n%256 != 0 {
			return m
		}
		return fmt.Sprintf("exited with status %d", n/256)
	})
}
