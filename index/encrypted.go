package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/iosphotofs/iosphotofs/internal/private"
	"github.com/iosphotofs/iosphotofs/internal/srcdir"
	"github.com/iosphotofs/iosphotofs/model"
	"os"
	"path/filepath"

	"github.com/iosphotofs/iosphotofs/meta/backup"
	"github.com/iosphotofs/iosphotofs/meta/crypt"
)

// ErrPasswordNeeded is returned for an encrypted backup built without a
// password or key.
var ErrPasswordNeeded = errors.New("the backup is encrypted: its password is needed")

// unlockBackup opens an encrypted backup's keybag with the derived key in
// opt.Key, else with one derived from opt.Password.
func unlockBackup(b *backup.Backup, opt Options) (*crypt.Keybag, error) {
	if len(b.Info.BackupKeyBag) == 0 {
		return nil, errors.New("Manifest.plist says the backup is encrypted but holds no BackupKeyBag")
	}
	kb, err := crypt.Parse(b.Info.BackupKeyBag)
	if err != nil {
		return nil, err
	}
	key := opt.Key
	if key == nil {
		if opt.Password == nil {
			return nil, ErrPasswordNeeded
		}
		if key, err = kb.DeriveKey(opt.Password); err != nil {
			return nil, err
		}
	}
	if err := kb.Unlock(key); err != nil {
		return nil, err
	}
	return kb, nil
}

// DeriveKey derives an encrypted backup's key from its password (the slow
// step, about two seconds), for Options.Key on later builds.
func DeriveKey(b *backup.Backup, password []byte) ([]byte, error) {
	kb, err := crypt.Parse(b.Info.BackupKeyBag)
	if err != nil {
		return nil, err
	}
	key, err := kb.DeriveKey(password)
	if err != nil {
		return nil, err
	}
	if err := kb.Unlock(key); err != nil {
		return nil, err
	}
	return key, nil
}

// decryptManifest writes the plaintext Manifest.db into a private folder
// and returns its path; the caller removes the folder (cleanup).
func decryptManifest(b *backup.Backup, kb *crypt.Keybag, workers int) (path string, cleanup func(), err error) {
	cleanup = func() {}
	key, err := kb.UnwrapKey(b.Info.ManifestKey)
	if err != nil {
		return "", cleanup, fmt.Errorf("ManifestKey: %w", err)
	}
	src, err := srcdir.OpenFile(filepath.Join(b.Dir, "Manifest.db"))
	if err != nil {
		return "", cleanup, err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return "", cleanup, err
	}
	tmp, err := private.Dir("manifest")
	if err != nil {
		return "", cleanup, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	path = filepath.Join(tmp, "Manifest.db")
	dst, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		cleanup()
		return "", func() {}, err
	}
	err = crypt.Decrypt(dst, src, key, st.Size(), workers)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = truncateToPages(path)
	}
	if err != nil {
		cleanup()
		return "", func() {}, fmt.Errorf("decrypting Manifest.db: %w", err)
	}
	return path, cleanup, nil
}

// truncateToPages cuts a decrypted database to the size its header gives
// (page size times page count), dropping the padding; a header that does
// not look like SQLite's means the key was wrong.
func truncateToPages(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var h [100]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		return err
	}
	if string(h[:16]) != "SQLite format 3\x00" {
		return errors.New("the result is not a SQLite database (wrong ManifestKey?)")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:]))
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if n := pageSize * pages; n > 0 && n <= st.Size() {
		return f.Truncate(n)
	}
	return nil
}

// encPayload is an encrypted payload, decrypted as it is read. Its size is
// the manifest's where the ciphertext's length agrees (PKCS#7 padding makes
// it crypt.CiphertextSize); otherwise it is what decrypts (see
// crypt.PlainSize), found once, as for a plain payload.
type encPayload struct {
	payload
	keybag  *crypt.Keybag
	wrapped []byte // the file's EncryptionKey
}

func (p *encPayload) key() ([]byte, error) {
	key, err := p.keybag.UnwrapKey(p.wrapped)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.path(), err)
	}
	return key, nil
}

func (p *encPayload) Size() (int64, error) { return p.lookUp(p.plainSize) }

// plainSize is the size shown of a payload of sealed encrypted bytes.
func (p *encPayload) plainSize(sealed int64) (int64, error) {
	if p.manifest != unknownSize && sealed == crypt.CiphertextSize(p.manifest) {
		return p.manifest, nil
	}
	key, err := p.keybag.UnwrapKey(p.wrapped)
	if err != nil {
		return 0, err
	}
	f, err := p.dir.Open(p.id.String())
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return crypt.PlainSize(f, key, sealed)
}

func (p *encPayload) Open() (model.Reader, error) {
	size, err := p.Size()
	if err != nil {
		return nil, err
	}
	key, err := p.key()
	if err != nil {
		return nil, err
	}
	f, err := p.dir.Open(p.id.String())
	if err != nil {
		return nil, err
	}
	// A payload cut short since it was looked at is served as far as it
	// goes: reads past that fail (crypt.ErrShortPayload).
	r, err := crypt.NewCBCReader(f, key, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	return decrypted{r, f}, nil
}

// decrypted is an open encrypted payload.
type decrypted struct {
	*crypt.CBCReader
	f *os.File
}

func (d decrypted) Close() error { return d.f.Close() }

// isSQLite reports whether a file starts like a SQLite database (an
// encrypted Manifest.db does not). An unreadable file says yes: the
// manifest reader gives the better error.
func isSQLite(path string) bool {
	f, err := srcdir.OpenFile(path)
	if err != nil {
		return true
	}
	defer f.Close()
	var h [16]byte
	if n, _ := f.Read(h[:]); n == 0 {
		return true
	}
	return string(h[:]) == "SQLite format 3\x00"
}
