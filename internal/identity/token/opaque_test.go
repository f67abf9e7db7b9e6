package token

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewSecretKeepsThePrefixAndReturnsItsHash(t *testing.T) {
	t.Parallel()
	for _, prefix := range []string{PrefixRefresh, PrefixAPIToken, PrefixEmailVerification, PrefixPasswordReset, ""} {
		t.Run("prefix "+prefix, func(t *testing.T) {
			t.Parallel()
			plain, hash := NewSecret(prefix)
			if !strings.HasPrefix(plain, prefix) {
				t.Errorf("NewSecret(%q) = %q, want it to start with the prefix", prefix, plain)
			}
			raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(plain, prefix))
			if err != nil || len(raw) != 32 {
				t.Errorf("NewSecret(%q) = %q, want the prefix and 32 bytes of base64url", prefix, plain)
			}
			if got := HashSecret(plain); !bytes.Equal(got, hash) {
				t.Errorf("HashSecret(%q) = %x, want %x", plain, got, hash)
			}
			if len(hash) != 32 {
				t.Errorf("NewSecret(%q) hash has %d bytes, want 32 (SHA-256)", prefix, len(hash))
			}
		})
	}
}

func TestNewSecretGivesDistinctValues(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		plain, _ := NewSecret(PrefixRefresh)
		if seen[plain] {
			t.Fatalf("NewSecret() = %q twice, want distinct secrets", plain)
		}
		seen[plain] = true
	}
}

func TestHashSecretDistinguishesSecrets(t *testing.T) {
	t.Parallel()
	a, hashA := NewSecret(PrefixAPIToken)
	b, hashB := NewSecret(PrefixAPIToken)
	if bytes.Equal(hashA, hashB) {
		t.Errorf("HashSecret(%q) = HashSecret(%q) = %x, want different hashes", a, b, hashA)
	}
	// The prefix is part of what is hashed, so a secret of one kind cannot
	// be replayed as another kind with the same random part.
	_, random, _ := SplitPrefix(a)
	if other := HashSecret(PrefixRefresh + random); bytes.Equal(other, hashA) {
		t.Errorf("HashSecret(%q) = HashSecret(%q), want the prefix to change the hash", PrefixRefresh+random, a)
	}
}

func TestSplitPrefix(t *testing.T) {
	t.Parallel()
	plain, _ := NewSecret(PrefixAPIToken)
	random := strings.TrimPrefix(plain, PrefixAPIToken)
	// A random part may contain '_', so splitting at the first '_' would be wrong.
	underscored := PrefixRefresh + "_" + random[1:]

	tests := []struct {
		name       string
		plain      string
		wantPrefix string
		wantSecret string
		wantOK     bool
	}{
		{name: "a new secret splits into its prefix and random part", plain: plain, wantPrefix: PrefixAPIToken, wantSecret: random, wantOK: true},
		{name: "a random part starting with an underscore still splits by length", plain: underscored, wantPrefix: PrefixRefresh, wantSecret: "_" + random[1:], wantOK: true},
		{name: "a secret without a prefix has an empty prefix", plain: random, wantPrefix: "", wantSecret: random, wantOK: true},
		{name: "an empty string is not a secret", plain: "", wantOK: false},
		{name: "a too short string is not a secret", plain: PrefixRefresh + "abc", wantOK: false},
		{name: "standard base64 is not a secret", plain: PrefixRefresh + "+" + random[1:], wantOK: false},
		// 'B' sets bits past the 256 encoded, so no 32-byte value encodes to it.
		{name: "a random part with non-zero padding bits is not a secret", plain: PrefixRefresh + random[:42] + "B", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix, secret, ok := SplitPrefix(tt.plain)
			if prefix != tt.wantPrefix || secret != tt.wantSecret || ok != tt.wantOK {
				t.Errorf("SplitPrefix(%q) = %q, %q, %v, want %q, %q, %v",
					tt.plain, prefix, secret, ok, tt.wantPrefix, tt.wantSecret, tt.wantOK)
			}
		})
	}
}
