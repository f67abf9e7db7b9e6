package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// process is what one Corpu process holds: the key set loaded from the
// shared directory and an issuer over it.
type process struct {
	keys   *KeySet
	issuer *Issuer
}

func startProcess(t *testing.T, dir string) process {
	t.Helper()
	ks, err := LoadKeyDir(dir)
	if err != nil {
		t.Fatalf("LoadKeyDir(%s) = %v", dir, err)
	}
	return process{keys: ks, issuer: NewIssuer(ks, testIssuer, testTTL, nil)}
}

// later moves a process's view of the clock past the re-read intervals.
func (p process) later(d time.Duration) {
	p.keys.dir.now = func() time.Time { return time.Now().Add(d) }
}

func TestProcessesSharingAKeyDirectoryAcceptEachOthersTokens(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := CreateKeyDir(dir); err != nil {
		t.Fatal(err)
	}
	a, b := startProcess(t, dir), startProcess(t, dir)
	fromA := issue(t, a.issuer, uuid.New(), uuid.New())
	fromB := issue(t, b.issuer, uuid.New(), uuid.New())
	if _, err := b.issuer.Verify(fromA); err != nil {
		t.Errorf("B verifies A's token: %v", err)
	}
	if _, err := a.issuer.Verify(fromB); err != nil {
		t.Errorf("A verifies B's token: %v", err)
	}

	// A rotation: a process started afterwards signs with the new key.
	rot, err := RotateKeyDir(dir, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startProcess(t, dir)
	fromC := issue(t, c.issuer, uuid.New(), uuid.New())
	if kid := headerKid(t, fromC); kid != rot.KeyID {
		t.Errorf("token after rotation names key %s, want the new key %s", kid, rot.KeyID)
	}
	if _, err := c.issuer.Verify(fromA); err != nil {
		t.Errorf("a token signed before the rotation no longer verifies: %v", err)
	}
	// B, started before the rotation, learns the new key from the directory
	// when a token names it.
	b.later(2 * dirMissInterval)
	if _, err := b.issuer.Verify(fromC); err != nil {
		t.Errorf("B verifies a token signed with the new key: %v", err)
	}
	// A moves to the new key within DirRefresh.
	a.later(2 * DirRefresh)
	if kid := headerKid(t, issue(t, a.issuer, uuid.New(), uuid.New())); kid != rot.KeyID {
		t.Errorf("A signs with %s after DirRefresh, want the new key %s", kid, rot.KeyID)
	}
}

func TestAnUnknownKeyReReadsTheDirectoryAtMostEveryFewSeconds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := CreateKeyDir(dir); err != nil {
		t.Fatal(err)
	}
	b := startProcess(t, dir)
	if _, err := RotateKeyDir(dir, time.Hour, time.Now()); err != nil {
		t.Fatal(err)
	}
	fromC := issue(t, startProcess(t, dir).issuer, uuid.New(), uuid.New())
	if _, err := b.issuer.Verify(fromC); err == nil {
		t.Error("B re-read the directory right after loading it; forged key IDs could make it read on every request")
	}
}

func TestRotationKeepsOldKeysForTheRetentionThenRemovesThem(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := CreateKeyDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	r1, err := RotateKeyDir(dir, time.Hour, t0.Add(time.Minute))
	if err != nil || len(r1.Kept) != 1 || len(r1.Removed) != 0 {
		t.Fatalf("first rotation = %+v, %v; want the first key kept", r1, err)
	}
	// The first key was replaced at t0+1m; two hours later it has served its time.
	r2, err := RotateKeyDir(dir, time.Hour, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(r2.Removed) != 1 || !strings.Contains(r2.Removed[0], first) || len(r2.Kept) != 1 || !strings.Contains(r2.Kept[0], r1.KeyID) {
		t.Errorf("second rotation = %+v; want %s removed and %s kept", r2, first, r1.KeyID)
	}
	ks, err := LoadKeyDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ks.verificationKeys()); got != 2 {
		t.Errorf("keys after two rotations = %d, want 2 (the new one and the one it replaced)", got)
	}
	if kid, _ := ks.signingKey(); kid != r2.KeyID {
		t.Errorf("signing key = %s, want the newest %s", kid, r2.KeyID)
	}
}

func TestKeyDirectoriesAreCreatedOnceAndPrivately(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := LoadKeyDir(dir); err == nil {
		t.Error("LoadKeyDir(missing) = nil error")
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyDir(dir); !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), "corpu keys create") {
		t.Errorf("LoadKeyDir(empty) = %v, want ErrNoKeys saying how to create one", err)
	}
	if _, err := RotateKeyDir(dir, time.Hour, time.Now()); !errors.Is(err, ErrNoKeys) {
		t.Errorf("RotateKeyDir(empty) = %v, want ErrNoKeys", err)
	}
	if _, err := CreateKeyDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateKeyDir(dir); err == nil || !strings.Contains(err.Error(), "keys rotate") {
		t.Errorf("CreateKeyDir twice = %v, want a refusal pointing to rotate", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("files = %v, want one key and no leftovers", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func headerKid(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	var header struct {
		Kid string `json:"kid"`
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &header); err != nil {
		t.Fatal(err)
	}
	return header.Kid
}
