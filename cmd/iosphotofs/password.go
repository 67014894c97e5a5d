package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/crypt"
)

// errWrongPassword exits with code 2.
type errWrongPassword struct{ src string }

func (e errWrongPassword) Error() string { return e.src + ": wrong password for this backup" }

// secrets fills opt.Key for an encrypted backup, deriving it from the
// password where one was given (the slow step, about 2 s): rebuilds of a
// live mount reuse the key, and the password's bytes are cleared at once.
func (v viewFlags) secrets(b *backup.Backup, opt *index.Options) error {
	if err := v.readSecrets(b, opt); err != nil || opt.Password == nil {
		return err
	}
	key, err := index.DeriveKey(b, opt.Password)
	clear(opt.Password)
	opt.Password = nil
	if err != nil {
		return err
	}
	opt.Key = key
	return nil
}

// readSecrets fills opt.Key or opt.Password for an encrypted backup:
// --key-file, else IOSPHOTOFS_KEY, else --key (which every user can read
// in ps, and is told so), else --password-file, else IOSPHOTOFS_PASSWORD,
// else a no-echo prompt on a terminal. The password is never taken from
// the command line; neither it nor the key is ever printed.
func (v viewFlags) readSecrets(b *backup.Backup, opt *index.Options) error {
	if !b.Info.Encrypted {
		return nil
	}
	var err error
	switch {
	case *v.keyFile != "":
		var text []byte
		if text, err = os.ReadFile(*v.keyFile); err != nil {
			return fmt.Errorf("--key-file: %w", err)
		}
		opt.Key, err = parseKey(string(text), "--key-file")
	case os.Getenv("IOSPHOTOFS_KEY") != "":
		opt.Key, err = parseKey(os.Getenv("IOSPHOTOFS_KEY"), "IOSPHOTOFS_KEY")
	case *v.key != "":
		fmt.Fprintln(os.Stderr, "iosphotofs: --key on the command line can be read by every user of this machine (ps, /proc): use --key-file or IOSPHOTOFS_KEY")
		opt.Key, err = parseKey(*v.key, "--key")
	case *v.passwordFile != "":
		pw, err := os.ReadFile(*v.passwordFile)
		if err != nil {
			return fmt.Errorf("--password-file: %w", err)
		}
		// A file ends with a newline that is not part of the password.
		opt.Password = bytes.TrimRight(pw, "\r\n")
	case os.Getenv("IOSPHOTOFS_PASSWORD") != "":
		opt.Password = []byte(os.Getenv("IOSPHOTOFS_PASSWORD"))
	case term.IsTerminal(int(os.Stdin.Fd())):
		fmt.Fprintf(os.Stderr, "Password of the encrypted backup %s: ", b.Dir)
		pw, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return fmt.Errorf("reading the password: %w", err)
		}
		opt.Password = pw
	default:
		return errors.New(b.Dir + ": the backup is encrypted: give its password with --password-file FILE or IOSPHOTOFS_PASSWORD, or its key with --key-file FILE or IOSPHOTOFS_KEY")
	}
	return err
}

// parseKey reads the 64 hex digits 'iosphotofs key' prints.
func parseKey(text, from string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil || len(key) != 32 {
		return nil, usageError{from + " takes the 64 hex digits that 'iosphotofs key' prints"}
	}
	return key, nil
}

// wrapPasswordError turns a wrong password into the exit-2 error.
func wrapPasswordError(src string, err error) error {
	if errors.Is(err, crypt.ErrWrongPassword) {
		return errWrongPassword{src}
	}
	return err
}

// cmdKey derives an encrypted backup's key once and prints it, so later
// mounts take --key-file (or IOSPHOTOFS_KEY) and skip the slow derivation.
func cmdKey(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("key", flag.ContinueOnError)
	views := addViewFlags(fl)
	pos, err := parse(fl, args, 1, 1)
	if err != nil {
		return err
	}
	b, err := backup.Detect(pos[0])
	if err != nil {
		return err
	}
	if !b.Info.Encrypted {
		return fmt.Errorf("%s: the backup is not encrypted: it needs no key", pos[0])
	}
	var opt index.Options
	if err := views.readSecrets(b, &opt); err != nil {
		return err
	}
	if opt.Key != nil {
		return usageError{"key derives a key from the password: give the password, not --key"}
	}
	key, err := index.DeriveKey(b, opt.Password)
	if err != nil {
		return wrapPasswordError(pos[0], err)
	}
	fmt.Fprintln(stdout, hex.EncodeToString(key))
	return nil
}
