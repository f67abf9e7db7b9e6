// Package token issues and verifies the credentials Corpu hands to clients:
// short-lived access tokens (EdDSA-signed JWTs) and opaque secrets such as
// refresh tokens, personal API tokens and e-mail links, of which the database
// keeps only a hash.
package token

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// PEM block types written and read by this package.
const (
	pemPrivateKey = "PRIVATE KEY" // PKCS#8
	pemPublicKey  = "PUBLIC KEY"  // PKIX
)

// KeySet holds the Ed25519 key that signs new access tokens and the public
// keys that are still accepted when verifying them. Keeping old public keys
// lets an operator rotate the signing key without signing everyone out: tokens
// issued before the rotation stay valid until they expire. A KeySet is safe
// for concurrent use.
type KeySet struct {
	mu      sync.RWMutex
	signing ed25519.PrivateKey
	// keys[0] belongs to signing; the rest are previous keys, newest first.
	keys []verificationKey
	// dir, when the set was loaded from a key directory, re-reads it.
	dir *dirSource
}

// verificationKey is a public key with the key ID that names it in JWT
// headers and in the JWKS.
type verificationKey struct {
	kid string
	pub ed25519.PublicKey
}

// KeyID returns the key ID for pub: the base64url encoding of the first 8
// bytes of its SHA-256 hash. Deriving the ID from the key, rather than
// numbering keys, means every instance of the service agrees on it without
// coordination.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// NewKeySet returns a KeySet that signs with current and also accepts tokens
// signed by the previous keys.
func NewKeySet(current ed25519.PrivateKey, previous ...ed25519.PublicKey) (*KeySet, error) {
	if len(current) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("token: signing key has %d bytes, want %d", len(current), ed25519.PrivateKeySize)
	}
	ks := &KeySet{signing: current}
	ks.keys = []verificationKey{newVerificationKey(current.Public().(ed25519.PublicKey))}
	for i, pub := range previous {
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("token: previous key %d has %d bytes, want %d", i, len(pub), ed25519.PublicKeySize)
		}
		ks.keys = appendUnique(ks.keys, newVerificationKey(pub))
	}
	return ks, nil
}

// GenerateKeySet returns a KeySet with a fresh random signing key. It is meant
// for development and tests: tokens it signs stop verifying when the process
// restarts, and other instances of the service cannot verify them.
func GenerateKeySet() (*KeySet, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("token: generate signing key: %w", err)
	}
	return NewKeySet(priv)
}

// LoadKeySet reads a KeySet from PEM files. The first file is the current
// signing key, a PKCS#8 "PRIVATE KEY"; each later file holds an older key,
// private or public ("PUBLIC KEY", PKIX), still accepted for verification.
func LoadKeySet(pemFiles ...string) (*KeySet, error) {
	if len(pemFiles) == 0 {
		return nil, errors.New("token: no signing key file given")
	}
	current, err := readPrivateKey(pemFiles[0])
	if err != nil {
		return nil, err
	}
	previous := make([]ed25519.PublicKey, 0, len(pemFiles)-1)
	for _, path := range pemFiles[1:] {
		pub, err := readPublicKey(path)
		if err != nil {
			return nil, err
		}
		previous = append(previous, pub)
	}
	return NewKeySet(current, previous...)
}

// Rotate makes newKey the signing key. The key it replaces stays in the set
// for verification, so tokens it signed remain valid until they expire.
func (ks *KeySet) Rotate(newKey ed25519.PrivateKey) error {
	if len(newKey) != ed25519.PrivateKeySize {
		return fmt.Errorf("token: signing key has %d bytes, want %d", len(newKey), ed25519.PrivateKeySize)
	}
	fresh := newVerificationKey(newKey.Public().(ed25519.PublicKey))
	ks.mu.Lock()
	defer ks.mu.Unlock()
	keys := []verificationKey{fresh}
	for _, k := range ks.keys {
		keys = appendUnique(keys, k)
	}
	ks.signing = newKey
	ks.keys = keys
	return nil
}

// JWKS returns the JSON Web Key Set (RFC 7517, with the OKP key type of
// RFC 8037) of every key that verifies tokens, current key first, so other
// services can verify access tokens without sharing a secret.
func (ks *KeySet) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{}
	for _, k := range ks.verificationKeys() {
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP",
			Crv: "Ed25519",
			X:   base64.RawURLEncoding.EncodeToString(k.pub),
			Kid: k.kid,
			Use: "sig",
			Alg: "EdDSA",
		})
	}
	// Marshalling a struct of strings cannot fail.
	b, _ := json.Marshal(set)
	return b
}

// WritePrivateKeyPEM writes key to w as a PKCS#8 "PRIVATE KEY" PEM block, the
// format LoadKeySet reads, for operators generating a signing key.
func WritePrivateKeyPEM(w io.Writer, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("token: encode private key: %w", err)
	}
	return pem.Encode(w, &pem.Block{Type: pemPrivateKey, Bytes: der})
}

// WritePublicKeyPEM writes key to w as a PKIX "PUBLIC KEY" PEM block. Once a
// key has been rotated out it only verifies, so operators can keep its public
// half and destroy the private one.
func WritePublicKeyPEM(w io.Writer, key ed25519.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return fmt.Errorf("token: encode public key: %w", err)
	}
	return pem.Encode(w, &pem.Block{Type: pemPublicKey, Bytes: der})
}

// signingKey returns the current signing key and its key ID.
func (ks *KeySet) signingKey() (string, ed25519.PrivateKey) {
	ks.refresh(DirRefresh)
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return ks.keys[0].kid, ks.signing
}

// publicKey returns the verification key named kid. A set loaded from a key
// directory re-reads it for a key it does not know: another process may
// already sign with a newer one.
func (ks *KeySet) publicKey(kid string) (ed25519.PublicKey, bool) {
	if pub, ok := ks.lookup(kid); ok {
		return pub, true
	}
	if ks.refresh(dirMissInterval) {
		return ks.lookup(kid)
	}
	return nil, false
}

func (ks *KeySet) lookup(kid string) (ed25519.PublicKey, bool) {
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	// A linear scan is fine: a set holds a handful of keys at most.
	for _, k := range ks.keys {
		if k.kid == kid {
			return k.pub, true
		}
	}
	return nil, false
}

// verificationKeys returns a snapshot of the keys that verify tokens.
func (ks *KeySet) verificationKeys() []verificationKey {
	ks.refresh(DirRefresh)
	ks.mu.RLock()
	defer ks.mu.RUnlock()
	return append([]verificationKey(nil), ks.keys...)
}

func newVerificationKey(pub ed25519.PublicKey) verificationKey {
	return verificationKey{kid: KeyID(pub), pub: pub}
}

// appendUnique appends k unless a key with the same ID is already present,
// so configuring the current key again as a previous one is harmless.
func appendUnique(keys []verificationKey, k verificationKey) []verificationKey {
	for _, have := range keys {
		if have.kid == k.kid {
			return keys
		}
	}
	return append(keys, k)
}

// ReadPrivateKey reads an Ed25519 private key from a PKCS#8 PEM file (the
// format WritePrivateKeyPEM writes), for other signers such as certificates.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) { return readPrivateKey(path) }

// readPrivateKey reads an Ed25519 private key from a PKCS#8 PEM file.
func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	if block.Type != pemPrivateKey {
		return nil, fmt.Errorf("token: %s: PEM block is %q, want %q", path, block.Type, pemPrivateKey)
	}
	return parsePrivateKey(path, block.Bytes)
}

// readPublicKey reads an Ed25519 public key from a PEM file holding either the
// private key (PKCS#8) or the public key (PKIX).
func readPublicKey(path string) (ed25519.PublicKey, error) {
	block, err := readPEM(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case pemPrivateKey:
		priv, err := parsePrivateKey(path, block.Bytes)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	case pemPublicKey:
		return parsePublicKey(path, block.Bytes)
	default:
		return nil, fmt.Errorf("token: %s: PEM block is %q, want %q or %q", path, block.Type, pemPrivateKey, pemPublicKey)
	}
}

func readPEM(path string) (*pem.Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token: read key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("token: %s: no PEM block found", path)
	}
	return block, nil
}

func parsePrivateKey(path string, der []byte) (ed25519.PrivateKey, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: %s: %w", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("token: %s: key is %T, want Ed25519", path, key)
	}
	return priv, nil
}

func parsePublicKey(path string, der []byte) (ed25519.PublicKey, error) {
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("token: %s: %w", path, err)
	}
	pub, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("token: %s: key is %T, want Ed25519", path, key)
	}
	return pub, nil
}
