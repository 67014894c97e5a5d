package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/iosphotofs/iosphotofs/index"
	"github.com/iosphotofs/iosphotofs/internal/fixture"
	"github.com/iosphotofs/iosphotofs/meta/backup"
)

// The key is derived once, from a password read once: what a live mount
// keeps for its rebuilds is the key, and the password's bytes are gone.
func TestSecretsDeriveTheKeyOnce(t *testing.T) {
	b, err := fixture.Sample(false)
	if err == nil {
		b.Encrypted, b.Password = true, "secret"
	}
	dir := fixture.WriteTemp(t, b, err)
	bk, err := backup.Detect(dir)
	if err != nil {
		t.Fatal(err)
	}
	for pw, wantErr := range map[string]bool{"secret\n": false, "wrong\n": true} {
		pwFile := filepath.Join(t.TempDir(), "pw")
		if err := os.WriteFile(pwFile, []byte(pw), 0o600); err != nil {
			t.Fatal(err)
		}
		views := addViewFlags(flag.NewFlagSet("test", flag.ContinueOnError))
		*views.passwordFile = pwFile
		var opt index.Options
		err = views.secrets(bk, &opt)
		if wantErr {
			if !errors.As(wrapPasswordError(dir, err), new(errWrongPassword)) {
				t.Errorf("a wrong password: %v", err)
			}
			continue
		}
		if err != nil || opt.Password != nil || len(opt.Key) != 32 {
			t.Fatalf("secrets: %v, password kept: %v, key of %d bytes", err, opt.Password != nil, len(opt.Key))
		}
		if _, err := index.FromBackup(bk, opt); err != nil {
			t.Errorf("building with the derived key: %v", err)
		}
	}
}

// The key can come from a file or the environment, where other users
// cannot read it, as well as from --key.
func TestKeyFromFileOrEnvironment(t *testing.T) {
	b, err := fixture.Sample(false)
	if err == nil {
		b.Encrypted, b.Password = true, "secret"
	}
	bk, err := backup.Detect(fixture.WriteTemp(t, b, err))
	if err != nil {
		t.Fatal(err)
	}
	key, err := index.DeriveKey(bk, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key")
	os.WriteFile(keyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600)
	read := func(set func(viewFlags)) ([]byte, error) {
		views := addViewFlags(flag.NewFlagSet("test", flag.ContinueOnError))
		set(views)
		var opt index.Options
		err := views.readSecrets(bk, &opt)
		return opt.Key, err
	}
	if got, err := read(func(v viewFlags) { *v.keyFile = keyFile }); err != nil || !bytes.Equal(got, key) {
		t.Errorf("--key-file: %x, %v", got, err)
	}
	t.Setenv("IOSPHOTOFS_KEY", hex.EncodeToString(key))
	if got, err := read(func(viewFlags) {}); err != nil || !bytes.Equal(got, key) {
		t.Errorf("IOSPHOTOFS_KEY: %x, %v", got, err)
	}
	t.Setenv("IOSPHOTOFS_KEY", "not hex")
	if _, err := read(func(viewFlags) {}); !errors.As(err, new(usageError)) {
		t.Errorf("a bad IOSPHOTOFS_KEY: %v", err)
	}
}
