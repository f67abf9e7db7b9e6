package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

const (
	testIssuer = "https://corpu.test"
	testTTL    = 15 * time.Minute
)

// start is a fixed instant so tests do not depend on the wall clock.
var start = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

func clockAt(t time.Time) func() time.Time {
	return func() time.Time { return t }
}

func issue(t *testing.T, iss *Issuer, userID, sessionID uuid.UUID) string {
	t.Helper()
	tok, _, err := iss.Issue(userID, sessionID)
	if err != nil {
		t.Fatalf("Issue() error = %v", err)
	}
	return tok
}

// validClaims are claims the Issuer under test would accept, for tests that
// sign tokens by hand.
func validClaims() accessClaims {
	return accessClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    testIssuer,
		Subject:   uuid.NewString(),
		IssuedAt:  jwt.NewNumericDate(start),
		NotBefore: jwt.NewNumericDate(start),
		ExpiresAt: jwt.NewNumericDate(start.Add(testTTL)),
		ID:        uuid.NewString(),
	}}
}

// signWith signs claims with method and key, naming kid in the header.
func signWith(t *testing.T, method jwt.SigningMethod, kid string, key any, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("SignedString(%s) error = %v", method.Alg(), err)
	}
	return s
}

// tamper replaces the payload of tok with edit applied to it, keeping the
// original header and signature.
func tamper(t *testing.T, tok string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("decode payload: %v", err)
	}
	var payload map[string]any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("unmarshal payload: %v", err)
	}
	edit(payload)
	raw, err = json.Marshal(payload)
	if err != nil {
		t.Fatalf("marshal payload: %v", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestIssueThenVerifyRoundTrips(t *testing.T) {
	t.Parallel()
	iss := NewIssuer(newKeySet(t, newKey(t)), testIssuer, testTTL, clockAt(start))
	tests := []struct {
		name      string
		sessionID uuid.UUID
	}{
		{name: "a session token carries its session ID", sessionID: uuid.New()},
		{name: "an API token has the nil session ID", sessionID: uuid.Nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			userID := uuid.New()
			tok, expiresAt, err := iss.Issue(userID, tt.sessionID)
			if err != nil {
				t.Fatalf("Issue() error = %v", err)
			}
			if want := start.Add(testTTL); !expiresAt.Equal(want) {
				t.Errorf("Issue() expiresAt = %v, want %v", expiresAt, want)
			}

			got, err := iss.Verify(tok)
			if err != nil {
				t.Fatalf("Verify(Issue()) error = %v, want nil", err)
			}
			want := Claims{UserID: userID, SessionID: tt.sessionID, IssuedAt: start, ExpiresAt: expiresAt}
			if got.UserID != want.UserID || got.SessionID != want.SessionID ||
				!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("Verify(Issue()) = %+v, want %+v", got, want)
			}
		})
	}
}

func TestIssueWritesTheExpectedHeaderAndClaims(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t, newKey(t))
	iss := NewIssuer(ks, testIssuer, testTTL, clockAt(start))
	userID, sessionID := uuid.New(), uuid.New()
	tok := issue(t, iss, userID, sessionID)

	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("ParseUnverified(Issue()) error = %v", err)
	}
	kid, _ := ks.signingKey()
	if got := parsed.Header["kid"]; got != kid {
		t.Errorf("header kid = %v, want %v", got, kid)
	}
	if got := parsed.Header["alg"]; got != "EdDSA" {
		t.Errorf("header alg = %v, want EdDSA", got)
	}
	claims := parsed.Claims.(jwt.MapClaims)
	wantStrings := map[string]string{"iss": testIssuer, "sub": userID.String(), "sid": sessionID.String()}
	for name, want := range wantStrings {
		if got := claims[name]; got != want {
			t.Errorf("claim %s = %v, want %v", name, got, want)
		}
	}
	wantTimes := map[string]time.Time{"iat": start, "nbf": start, "exp": start.Add(testTTL)}
	for name, want := range wantTimes {
		if got := claims[name]; got != float64(want.Unix()) {
			t.Errorf("claim %s = %v, want %v", name, got, want.Unix())
		}
	}
	jti, err := uuid.Parse(claims["jti"].(string))
	if err != nil || jti.Version() != 7 {
		t.Errorf("claim jti = %v, want a version 7 UUID", claims["jti"])
	}
}

func TestIssueRejectsTheNilUser(t *testing.T) {
	t.Parallel()
	iss := NewIssuer(newKeySet(t, newKey(t)), testIssuer, testTTL, clockAt(start))
	if tok, _, err := iss.Issue(uuid.Nil, uuid.New()); err == nil {
		t.Errorf("Issue(uuid.Nil) = %q, want an error", tok)
	}
}

func TestVerifyAcceptsTokensSignedByPreviousKeys(t *testing.T) {
	t.Parallel()
	oldKey, currentKey := newKey(t), newKey(t)
	tests := []struct {
		name string
		// verifierKeys returns the keys that verify after the change of
		// signing key, given the keys that signed the token.
		verifierKeys func(t *testing.T, signing *KeySet) *KeySet
	}{
		{
			name: "a token signed by a key rotated out verifies",
			verifierKeys: func(t *testing.T, signing *KeySet) *KeySet {
				if err := signing.Rotate(currentKey); err != nil {
					t.Fatalf("Rotate() error = %v", err)
				}
				return signing
			},
		},
		{
			name: "a token signed by a key configured as previous verifies",
			verifierKeys: func(t *testing.T, _ *KeySet) *KeySet {
				return newKeySet(t, currentKey, publicOf(oldKey))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			signing := newKeySet(t, oldKey)
			userID := uuid.New()
			tok := issue(t, NewIssuer(signing, testIssuer, testTTL, clockAt(start)), userID, uuid.New())
			verifier := NewIssuer(tt.verifierKeys(t, signing), testIssuer, testTTL, clockAt(start))

			got, err := verifier.Verify(tok)
			if err != nil {
				t.Fatalf("Verify(old token) error = %v, want nil", err)
			}
			if got.UserID != userID {
				t.Errorf("Verify(old token).UserID = %v, want %v", got.UserID, userID)
			}
			fresh := issue(t, verifier, userID, uuid.New())
			if kid, want := headerKID(t, fresh), KeyID(publicOf(currentKey)); kid != want {
				t.Errorf("Issue() after the change used kid %q, want the current key %q", kid, want)
			}
		})
	}
}

func headerKID(t *testing.T, tok string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("ParseUnverified() error = %v", err)
	}
	kid, _ := parsed.Header["kid"].(string)
	return kid
}

func TestVerifyAllowsClockSkewWithinTheLeeway(t *testing.T) {
	t.Parallel()
	ks := newKeySet(t, newKey(t))
	tok := issue(t, NewIssuer(ks, testIssuer, testTTL, clockAt(start)), uuid.New(), uuid.Nil)
	tests := []struct {
		name string
		now  time.Time
	}{
		{name: "a token expired 20 seconds ago verifies", now: start.Add(testTTL + 20*time.Second)},
		{name: "a token issued 20 seconds in the future verifies", now: start.Add(-20 * time.Second)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			iss := NewIssuer(ks, testIssuer, testTTL, clockAt(tt.now))
			if _, err := iss.Verify(tok); err != nil {
				t.Errorf("Verify(token) at %v error = %v, want nil", tt.now, err)
			}
		})
	}
}

func TestVerifyRejectsBadTokens(t *testing.T) {
	t.Parallel()
	key := newKey(t)
	ks := newKeySet(t, key)
	kid := KeyID(publicOf(key))
	iss := NewIssuer(ks, testIssuer, testTTL, clockAt(start))

	tests := []struct {
		name  string
		token func(t *testing.T) string
	}{
		{
			name:  "an empty string",
			token: func(*testing.T) string { return "" },
		},
		{
			name:  "a string that is not a JWT",
			token: func(*testing.T) string { return "not.a.jwt" },
		},
		{
			name: "a token signed by an unknown key",
			token: func(t *testing.T) string {
				stranger := NewIssuer(newKeySet(t, newKey(t)), testIssuer, testTTL, clockAt(start))
				return issue(t, stranger, uuid.New(), uuid.New())
			},
		},
		{
			name: "a token from an unknown key that claims a known kid",
			token: func(t *testing.T) string {
				return signWith(t, jwt.SigningMethodEdDSA, kid, newKey(t), validClaims())
			},
		},
		{
			name: "a token without a kid",
			token: func(t *testing.T) string {
				return signWith(t, jwt.SigningMethodEdDSA, "", key, validClaims())
			},
		},
		{
			name: "an expired token",
			token: func(t *testing.T) string {
				past := NewIssuer(ks, testIssuer, testTTL, clockAt(start.Add(-testTTL-time.Minute)))
				return issue(t, past, uuid.New(), uuid.New())
			},
		},
		{
			name: "a token not valid until beyond the leeway",
			token: func(t *testing.T) string {
				future := NewIssuer(ks, testIssuer, testTTL, clockAt(start.Add(time.Minute)))
				return issue(t, future, uuid.New(), uuid.New())
			},
		},
		{
			name: "a token from another issuer",
			token: func(t *testing.T) string {
				other := NewIssuer(ks, "https://evil.test", testTTL, clockAt(start))
				return issue(t, other, uuid.New(), uuid.New())
			},
		},
		{
			name: "a token with alg none",
			token: func(t *testing.T) string {
				return signWith(t, jwt.SigningMethodNone, kid, jwt.UnsafeAllowNoneSignatureType, validClaims())
			},
		},
		{
			name: "an HS256 token signed with the public key bytes",
			token: func(t *testing.T) string {
				return signWith(t, jwt.SigningMethodHS256, kid, []byte(publicOf(key)), validClaims())
			},
		},
		{
			name: "a token with a tampered payload",
			token: func(t *testing.T) string {
				tok := issue(t, iss, uuid.New(), uuid.New())
				return tamper(t, tok, func(p map[string]any) { p["sub"] = uuid.NewString() })
			},
		},
		{
			name: "a token with a tampered signature",
			token: func(t *testing.T) string {
				tok := issue(t, iss, uuid.New(), uuid.New())
				dot := strings.LastIndexByte(tok, '.')
				// Swap the first signature character for another valid base64url one.
				replacement := "A"
				if tok[dot+1] == 'A' {
					replacement = "B"
				}
				return tok[:dot+1] + replacement + tok[dot+2:]
			},
		},
		{
			name: "a token without exp",
			token: func(t *testing.T) string {
				c := validClaims()
				c.ExpiresAt = nil
				return signWith(t, jwt.SigningMethodEdDSA, kid, key, c)
			},
		},
		{
			name: "a token without iat",
			token: func(t *testing.T) string {
				c := validClaims()
				c.IssuedAt = nil
				return signWith(t, jwt.SigningMethodEdDSA, kid, key, c)
			},
		},
		{
			name: "a token whose subject is not a UUID",
			token: func(t *testing.T) string {
				c := validClaims()
				c.Subject = "admin"
				return signWith(t, jwt.SigningMethodEdDSA, kid, key, c)
			},
		},
		{
			name: "a token whose subject is the nil UUID",
			token: func(t *testing.T) string {
				c := validClaims()
				c.Subject = uuid.Nil.String()
				return signWith(t, jwt.SigningMethodEdDSA, kid, key, c)
			},
		},
		{
			name: "a token whose session ID is not a UUID",
			token: func(t *testing.T) string {
				c := validClaims()
				c.SessionID = "session-1"
				return signWith(t, jwt.SigningMethodEdDSA, kid, key, c)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok := tt.token(t)
			got, err := iss.Verify(tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify(%s) = %+v, %v, want ErrInvalidToken", tt.name, got, err)
			}
			if kind := apperr.KindOf(err); kind != apperr.KindUnauthorized {
				t.Errorf("KindOf(Verify(%s)) = %v, want KindUnauthorized", tt.name, kind)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("Verify(%s) error = %v, want it to wrap the cause", tt.name, err)
			}
			if got != (Claims{}) {
				t.Errorf("Verify(%s) claims = %+v, want zero Claims", tt.name, got)
			}
		})
	}
}

func TestErrInvalidTokenSpeaksIndonesianAndEnglish(t *testing.T) {
	t.Parallel()
	msg := apperr.As(ErrInvalidToken).Message
	if msg.ID == "" || msg.EN == "" || msg.ID == msg.EN {
		t.Errorf("ErrInvalidToken.Message = %+v, want distinct Indonesian and English text", msg)
	}
	if ErrInvalidToken.Code != "auth.invalid_token" {
		t.Errorf("ErrInvalidToken.Code = %q, want %q", ErrInvalidToken.Code, "auth.invalid_token")
	}
}
