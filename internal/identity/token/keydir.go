package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A key directory holds the Ed25519 signing keys that several Corpu processes
// share, one PKCS#8 PEM file per key, named
//
//	signing-<UTC creation time, 20060102T150405.000000000Z>-<key ID>.pem
//
// so that names sort by age. The newest key signs; every key in the
// directory verifies. `corpu keys create` writes the first key and `corpu keys
// rotate` adds a newer one and removes those replaced longer ago than the
// retention. Processes reading the directory pick up a rotation on their own:
// they re-read it every DirRefresh, and at once (at most every
// dirMissInterval) when a token names a key they do not know.

const (
	keyFilePrefix = "signing-"
	keyFileSuffix = ".pem"
	keyTimeLayout = "20060102T150405.000000000Z"
)

// DirRefresh is how often a KeySet loaded from a directory re-reads it to
// pick up a new signing key.
const DirRefresh = time.Minute

// dirMissInterval bounds the re-reads caused by tokens naming unknown keys,
// so a stream of forged key IDs cannot turn into a stream of directory reads.
const dirMissInterval = 5 * time.Second

// ErrNoKeys is returned for a key directory that holds no key yet.
var ErrNoKeys = errors.New("token: the key directory holds no signing key (create one with `corpu keys create --dir DIR`)")

// keyFile is one key file of a directory.
type keyFile struct {
	path    string
	created time.Time
}

// listKeyFiles returns the key files of dir, newest first.
func listKeyFiles(dir string) ([]keyFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("token: key directory: %w", err)
	}
	var files []keyFile
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, keyFilePrefix) || !strings.HasSuffix(name, keyFileSuffix) {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, keyFilePrefix), "-")
		created, err := time.Parse(keyTimeLayout, stamp)
		if err != nil {
			return nil, fmt.Errorf("token: key directory %s: %s is not named signing-<time>-<id>.pem", dir, name)
		}
		files = append(files, keyFile{path: filepath.Join(dir, name), created: created})
	}
	slices.SortFunc(files, func(a, b keyFile) int { return b.created.Compare(a.created) })
	return files, nil
}

// readKeyDir reads the keys of dir: the newest signs, the others verify.
func readKeyDir(dir string) (ed25519.PrivateKey, []ed25519.PublicKey, error) {
	files, err := listKeyFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	if len(files) == 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrNoKeys, dir)
	}
	current, err := readPrivateKey(files[0].path)
	if err != nil {
		return nil, nil, err
	}
	previous := make([]ed25519.PublicKey, 0, len(files)-1)
	for _, f := range files[1:] {
		pub, err := readPublicKey(f.path)
		if err != nil {
			return nil, nil, err
		}
		previous = append(previous, pub)
	}
	return current, previous, nil
}

// writeKeyFile writes a new key into dir, created at now, readable by its
// owner only. The file appears whole or not at all.
func writeKeyFile(dir string, now time.Time) (kid string, err error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("token: generate signing key: %w", err)
	}
	kid = KeyID(priv.Public().(ed25519.PublicKey))
	name := keyFilePrefix + now.UTC().Format(keyTimeLayout) + "-" + kid + keyFileSuffix
	tmp, err := os.CreateTemp(dir, ".new-key-*")
	if err != nil {
		return "", fmt.Errorf("token: write key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("token: write key: %w", err)
	}
	if err := WritePrivateKeyPEM(tmp, priv); err != nil {
		_ = tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return "", fmt.Errorf("token: write key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("token: write key: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return "", fmt.Errorf("token: write key: %w", err)
	}
	return kid, nil
}

// CreateKeyDir makes dir (mode 0700) and its first signing key, and returns
// the key's ID. It refuses a directory that already holds keys: that is a
// job for RotateKeyDir.
func CreateKeyDir(dir string) (kid string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("token: key directory: %w", err)
	}
	files, err := listKeyFiles(dir)
	if err != nil {
		return "", err
	}
	if len(files) > 0 {
		return "", fmt.Errorf("token: %s already holds %d signing key(s); rotate with `corpu keys rotate --dir %s`", dir, len(files), dir)
	}
	return writeKeyFile(dir, time.Now())
}

// Rotation is what RotateKeyDir did.
type Rotation struct {
	KeyID   string   // the new signing key
	Kept    []string // older keys still verifying
	Removed []string // key files removed, replaced longer ago than the retention
}

// RotateKeyDir adds a new signing key to dir, created at now. Older keys keep
// verifying tokens until retain has passed since a newer key replaced them;
// then their files are removed. retain must outlast the access tokens'
// lifetime plus DirRefresh, or tokens signed just before a rotation would be
// refused before they expire.
func RotateKeyDir(dir string, retain time.Duration, now time.Time) (Rotation, error) {
	files, err := listKeyFiles(dir)
	if err != nil {
		return Rotation{}, err
	}
	if len(files) == 0 {
		return Rotation{}, fmt.Errorf("%w: %s", ErrNoKeys, dir)
	}
	if !now.After(files[0].created) {
		now = files[0].created.Add(time.Nanosecond) // the new key must sort first
	}
	kid, err := writeKeyFile(dir, now)
	if err != nil {
		return Rotation{}, err
	}
	r := Rotation{KeyID: kid}
	// Each key was replaced when the next newer one was created.
	replacedAt := now
	for _, f := range files {
		if now.Sub(replacedAt) > retain {
			if err := os.Remove(f.path); err != nil {
				return r, fmt.Errorf("token: remove expired key: %w", err)
			}
			r.Removed = append(r.Removed, filepath.Base(f.path))
		} else {
			r.Kept = append(r.Kept, filepath.Base(f.path))
		}
		replacedAt = f.created
	}
	return r, nil
}

// dirSource re-reads a KeySet's directory.
type dirSource struct {
	dir      string
	mu       sync.Mutex   // one re-read at a time
	lastRead atomic.Int64 // unix nanoseconds of the last re-read
	now      func() time.Time
}

// LoadKeyDir returns a KeySet over the keys of dir (see the package's key
// directory layout) that follows the directory as keys are rotated.
func LoadKeyDir(dir string) (*KeySet, error) {
	current, previous, err := readKeyDir(dir)
	if err != nil {
		return nil, err
	}
	ks, err := NewKeySet(current, previous...)
	if err != nil {
		return nil, err
	}
	ks.dir = &dirSource{dir: dir, now: time.Now}
	ks.dir.lastRead.Store(time.Now().UnixNano())
	return ks, nil
}

// refresh re-reads the directory when the last read is older than minAge,
// and reports whether it did. A directory that cannot be read keeps the keys
// already loaded: a rotation in progress must not sign everyone out.
func (ks *KeySet) refresh(minAge time.Duration) bool {
	d := ks.dir
	if d == nil || d.now().UnixNano()-d.lastRead.Load() < int64(minAge) {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.now().UnixNano()-d.lastRead.Load() < int64(minAge) {
		return false // another caller just re-read it
	}
	d.lastRead.Store(d.now().UnixNano())
	current, previous, err := readKeyDir(d.dir)
	if err != nil {
		return false
	}
	keys := []verificationKey{newVerificationKey(current.Public().(ed25519.PublicKey))}
	for _, pub := range previous {
		keys = appendUnique(keys, newVerificationKey(pub))
	}
	ks.mu.Lock()
	ks.signing, ks.keys = current, keys
	ks.mu.Unlock()
	return true
}
