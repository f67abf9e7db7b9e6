package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Prefixes of the opaque secrets Corpu issues. A readable prefix lets secret
// scanners (and people) recognise a leaked Corpu token and tell its kind.
const (
	PrefixRefresh           = "crt_"
	PrefixAPIToken          = "cpat_"
	PrefixEmailVerification = "cev_"
	PrefixPasswordReset     = "cpr_"
)

// secretBytes is the entropy of a secret: 256 bits cannot be guessed, which
// is why a plain SHA-256 (no salt, no slow hash) is enough to store it.
const secretBytes = 32

// secretLen is the length of the encoded random part of a secret.
var secretLen = base64.RawURLEncoding.EncodedLen(secretBytes)

// NewSecret returns a new secret, prefix followed by 32 random bytes in
// base64url, and its hash. Hand plain to the client once and store only hash.
func NewSecret(prefix string) (plain string, hash []byte) {
	b := make([]byte, secretBytes)
	// rand.Read never returns an error: since Go 1.24 it crashes the
	// program instead of handing out weak randomness.
	rand.Read(b)
	plain = prefix + base64.RawURLEncoding.EncodeToString(b)
	return plain, HashSecret(plain)
}

// HashSecret returns the SHA-256 hash of a secret, prefix included, which is
// what the database stores and looks secrets up by.
func HashSecret(plain string) []byte {
	sum := sha256.Sum256([]byte(plain))
	return sum[:]
}

// SplitPrefix splits a secret made by NewSecret into its prefix and random
// part. ok is false if plain cannot be such a secret, so malformed input can
// be rejected without a database lookup. The split is by length because the
// base64url random part may itself contain '_'.
func SplitPrefix(plain string) (prefix, secret string, ok bool) {
	if len(plain) < secretLen {
		return "", "", false
	}
	prefix, secret = plain[:len(plain)-secretLen], plain[len(plain)-secretLen:]
	b, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(b) != secretBytes {
		return "", "", false
	}
	return prefix, secret, true
}
