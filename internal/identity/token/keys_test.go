package token

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("ed25519.GenerateKey() error = %v", err)
	}
	return priv
}

func publicOf(key ed25519.PrivateKey) ed25519.PublicKey {
	return key.Public().(ed25519.PublicKey)
}

func newKeySet(t *testing.T, current ed25519.PrivateKey, previous ...ed25519.PublicKey) *KeySet {
	t.Helper()
	ks, err := NewKeySet(current, previous...)
	if err != nil {
		t.Fatalf("NewKeySet() error = %v", err)
	}
	return ks
}

// writeFile writes data to the file name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("os.WriteFile(%q) error = %v", path, err)
	}
	return path
}

func privatePEM(t *testing.T, key ed25519.PrivateKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePrivateKeyPEM(&buf, key); err != nil {
		t.Fatalf("WritePrivateKeyPEM() error = %v", err)
	}
	return buf.Bytes()
}

func publicPEM(t *testing.T, key ed25519.PublicKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePublicKeyPEM(&buf, key); err != nil {
		t.Fatalf("WritePublicKeyPEM() error = %v", err)
	}
	return buf.Bytes()
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

func parseJWKS(t *testing.T, data []byte) []jwk {
	t.Helper()
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		t.Fatalf("json.Unmarshal(JWKS()) error = %v; JWKS = %s", err, data)
	}
	return set.Keys
}

func kids(keys []jwk) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Kid)
	}
	return out
}

func TestKeyIDIsEightBytesOfTheHashInBase64URL(t *testing.T) {
	t.Parallel()
	pub := publicOf(newKey(t))
	got := KeyID(pub)
	raw, err := base64.RawURLEncoding.DecodeString(got)
	if err != nil || len(raw) != 8 {
		t.Errorf("KeyID(pub) = %q (decodes to %d bytes, err %v), want 8 bytes of base64url", got, len(raw), err)
	}
	if again := KeyID(pub); again != got {
		t.Errorf("KeyID(pub) = %q the second time, want %q", again, got)
	}
}

func TestNewKeySetRejectsKeysOfTheWrongSize(t *testing.T) {
	t.Parallel()
	good := newKey(t)
	tests := []struct {
		name     string
		current  ed25519.PrivateKey
		previous []ed25519.PublicKey
	}{
		{name: "a nil signing key", current: nil},
		{name: "a truncated signing key", current: good[:32]},
		{name: "a truncated previous key", current: good, previous: []ed25519.PublicKey{publicOf(good)[:16]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewKeySet(tt.current, tt.previous...); err == nil {
				t.Errorf("NewKeySet(%s) error = nil, want an error", tt.name)
			}
		})
	}
}

func TestJWKSListsCurrentAndPreviousKeys(t *testing.T) {
	t.Parallel()
	current, previous := newKey(t), newKey(t)
	ks := newKeySet(t, current, publicOf(previous), publicOf(current))

	keys := parseJWKS(t, ks.JWKS())

	want := []ed25519.PublicKey{publicOf(current), publicOf(previous)}
	if len(keys) != len(want) {
		t.Fatalf("JWKS() has kids %v, want %d keys (current first, no duplicates)", kids(keys), len(want))
	}
	for i, k := range keys {
		pub := want[i]
		if k.Kid != KeyID(pub) {
			t.Errorf("JWKS() key %d kid = %q, want %q", i, k.Kid, KeyID(pub))
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || !bytes.Equal(x, pub) {
			t.Errorf("JWKS() key %d x = %q, want base64url of the public key", i, k.X)
		}
		fixed := jwk{Kty: "OKP", Crv: "Ed25519", Use: "sig", Alg: "EdDSA", X: k.X, Kid: k.Kid}
		if k != fixed {
			t.Errorf("JWKS() key %d = %+v, want %+v", i, k, fixed)
		}
	}
}

func TestRotateKeepsTheOldKeyForVerification(t *testing.T) {
	t.Parallel()
	first, second := newKey(t), newKey(t)
	ks := newKeySet(t, first)

	if err := ks.Rotate(second); err != nil {
		t.Fatalf("Rotate() error = %v", err)
	}

	kid, key := ks.signingKey()
	if kid != KeyID(publicOf(second)) || !key.Equal(second) {
		t.Errorf("signingKey() after Rotate = %q, want the new key %q", kid, KeyID(publicOf(second)))
	}
	got := kids(parseJWKS(t, ks.JWKS()))
	want := []string{KeyID(publicOf(second)), KeyID(publicOf(first))}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("JWKS() kids after Rotate = %v, want %v", got, want)
	}
}

func TestRotateBackToAPreviousKeyDoesNotDuplicateIt(t *testing.T) {
	t.Parallel()
	first, second := newKey(t), newKey(t)
	ks := newKeySet(t, first)

	for _, k := range []ed25519.PrivateKey{second, first} {
		if err := ks.Rotate(k); err != nil {
			t.Fatalf("Rotate() error = %v", err)
		}
	}

	got := kids(parseJWKS(t, ks.JWKS()))
	want := []string{KeyID(publicOf(first)), KeyID(publicOf(second))}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("JWKS() kids = %v, want %v", got, want)
	}
}

func TestRotateRejectsAKeyOfTheWrongSize(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t, newKey(t))
	if err := ks.Rotate(ed25519.PrivateKey{1, 2, 3}); err == nil {
		t.Errorf("Rotate(3-byte key) error = nil, want an error")
	}
}

func TestRotateIsSafeWhileTokensAreIssuedAndVerified(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t, newKey(t))
	iss := NewIssuer(ks, testIssuer, testTTL, nil)
	rotations := make([]ed25519.PrivateKey, 20)
	for i := range rotations {
		rotations[i] = newKey(t)
	}

	var wg sync.WaitGroup
	wg.Go(func() {
		for _, k := range rotations {
			if err := ks.Rotate(k); err != nil {
				t.Errorf("Rotate() error = %v", err)
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for range 50 {
				tok, _, err := iss.Issue(uuid.New(), uuid.Nil)
				if err != nil {
					t.Errorf("Issue() error = %v", err)
					return
				}
				if _, err := iss.Verify(tok); err != nil {
					t.Errorf("Verify(fresh token) error = %v, want nil", err)
				}
				_ = ks.JWKS()
			}
		})
	}
	wg.Wait()
}

func TestGenerateKeySetMakesAFreshKeyEachTime(t *testing.T) {
	t.Parallel()
	a, err := GenerateKeySet()
	if err != nil {
		t.Fatalf("GenerateKeySet() error = %v", err)
	}
	b, err := GenerateKeySet()
	if err != nil {
		t.Fatalf("GenerateKeySet() error = %v", err)
	}
	kidA, _ := a.signingKey()
	kidB, _ := b.signingKey()
	if kidA == kidB {
		t.Errorf("GenerateKeySet() twice gave the same key %q, want distinct keys", kidA)
	}
}

func TestLoadKeySetReadsCurrentAndPreviousKeys(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	current, oldPrivate, oldPublic := newKey(t), newKey(t), newKey(t)
	files := []string{
		writeFile(t, dir, "current.pem", privatePEM(t, current)),
		writeFile(t, dir, "old-private.pem", privatePEM(t, oldPrivate)),
		writeFile(t, dir, "old-public.pem", publicPEM(t, publicOf(oldPublic))),
	}

	ks, err := LoadKeySet(files...)
	if err != nil {
		t.Fatalf("LoadKeySet(%v) error = %v", files, err)
	}

	if _, key := ks.signingKey(); !key.Equal(current) {
		t.Errorf("LoadKeySet() signing key is not the one in %s", files[0])
	}
	got := kids(parseJWKS(t, ks.JWKS()))
	want := []string{KeyID(publicOf(current)), KeyID(publicOf(oldPrivate)), KeyID(publicOf(oldPublic))}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("LoadKeySet() JWKS kids = %v, want %v", got, want)
	}
}

func TestLoadKeySetRejectsBadFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := newKey(t)
	good := writeFile(t, dir, "good.pem", privatePEM(t, key))
	public := writeFile(t, dir, "public.pem", publicPEM(t, publicOf(key)))
	notPEM := writeFile(t, dir, "not.pem", []byte("this is not PEM"))
	certificate := writeFile(t, dir, "cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}))
	garbage := writeFile(t, dir, "garbage.pem", pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: []byte{1, 2, 3}}))
	ecdsaKey := writeFile(t, dir, "ecdsa.pem", ecdsaPEM(t))

	tests := []struct {
		name  string
		files []string
	}{
		{name: "no files", files: nil},
		{name: "a missing file", files: []string{filepath.Join(dir, "missing.pem")}},
		{name: "a file without PEM", files: []string{notPEM}},
		{name: "a public key as the signing key", files: []string{public}},
		{name: "a certificate as the signing key", files: []string{certificate}},
		{name: "a corrupt private key", files: []string{garbage}},
		{name: "an ECDSA signing key", files: []string{ecdsaKey}},
		{name: "a missing previous key", files: []string{good, filepath.Join(dir, "missing.pem")}},
		{name: "a certificate as a previous key", files: []string{good, certificate}},
		{name: "an ECDSA previous key", files: []string{good, ecdsaKey}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := LoadKeySet(tt.files...); err == nil {
				t.Errorf("LoadKeySet(%v) error = nil, want an error", tt.files)
			}
		})
	}
}

func ecdsaPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ecdsa.GenerateKey() error = %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("x509.MarshalPKCS8PrivateKey() error = %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der})
}
