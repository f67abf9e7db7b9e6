package token

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// leeway is how far clocks on different machines may disagree before a
// token's exp or nbf is held against it.
const leeway = 30 * time.Second

// ErrInvalidToken is returned by Verify for every kind of bad access token.
// One error for all failures keeps clients from learning which check failed;
// the cause is wrapped for logs.
var ErrInvalidToken = apperr.New(apperr.KindUnauthorized, "auth.invalid_token",
	"Token akses tidak valid atau kedaluwarsa.",
	"The access token is invalid or expired.")

// Claims is what a verified access token says about its bearer.
type Claims struct {
	UserID uuid.UUID
	// SessionID is the refresh-token family the access token was issued for,
	// so signing out a session can be checked against it; uuid.Nil for
	// tokens issued for a personal API token.
	SessionID uuid.UUID
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// accessClaims is the JWT payload of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	// SessionID is omitted rather than sent as the nil UUID for API tokens.
	SessionID string `json:"sid,omitempty"`
}

// Issuer issues and verifies access tokens signed with a KeySet.
type Issuer struct {
	keys   *KeySet
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewIssuer returns an Issuer that signs with keys, names itself issuer in the
// iss claim, and makes tokens valid for ttl. now is the clock; nil means
// time.Now.
func NewIssuer(keys *KeySet, issuer string, ttl time.Duration, now func() time.Time) *Issuer {
	if now == nil {
		now = time.Now
	}
	return &Issuer{
		keys:   keys,
		issuer: issuer,
		ttl:    ttl,
		now:    now,
		parser: jwt.NewParser(
			// Pinning the algorithm stops alg=none and HS256-with-the-public-key attacks.
			jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
			jwt.WithIssuer(issuer),
			jwt.WithLeeway(leeway),
			jwt.WithTimeFunc(now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
		),
	}
}

// Issue returns a signed access token for userID in the session sessionID
// (uuid.Nil for API tokens) and the time it expires.
func (i *Issuer) Issue(userID, sessionID uuid.UUID) (token string, expiresAt time.Time, err error) {
	if userID == uuid.Nil {
		return "", time.Time{}, errors.New("token: issue: nil user ID")
	}
	jti, err := uuid.NewV7()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("token: issue: %w", err)
	}
	// JWT times have whole seconds; truncating here makes the returned
	// expiry match the one in the token.
	now := i.now().Truncate(time.Second)
	expiresAt = now.Add(i.ttl)
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   userID.String(),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			ID:        jti.String(),
		},
	}
	if sessionID != uuid.Nil {
		claims.SessionID = sessionID.String()
	}
	token, err = i.sign(claims)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expiresAt, nil
}

// Verify checks an access token's signature, issuer and validity period and
// returns its claims. Every failure is ErrInvalidToken wrapping the cause.
func (i *Issuer) Verify(token string) (Claims, error) {
	var ac accessClaims
	if _, err := i.parser.ParseWithClaims(token, &ac, i.verificationKey); err != nil {
		return Claims{}, ErrInvalidToken.Wrap(err)
	}
	claims, err := ac.claims()
	if err != nil {
		return Claims{}, ErrInvalidToken.Wrap(err)
	}
	return claims, nil
}

func (i *Issuer) sign(claims accessClaims) (string, error) {
	kid, key := i.keys.signingKey()
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = kid
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return s, nil
}

// verificationKey is the jwt.Keyfunc: it picks the public key named by the
// token's kid header.
func (i *Issuer) verificationKey(t *jwt.Token) (any, error) {
	// The parser already pins the algorithm; checking the method type as
	// well means a change to the parser options cannot open the door to
	// algorithm confusion.
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
	}
	kid, _ := t.Header["kid"].(string)
	pub, ok := i.keys.publicKey(kid)
	if !ok {
		return nil, fmt.Errorf("unknown key ID %q", kid)
	}
	return pub, nil
}

// claims converts a verified payload into Claims, rejecting payloads the
// Issuer would never have produced.
func (ac accessClaims) claims() (Claims, error) {
	userID, err := uuid.Parse(ac.Subject)
	if err != nil || userID == uuid.Nil {
		return Claims{}, fmt.Errorf("bad subject %q", ac.Subject)
	}
	sessionID := uuid.Nil
	if ac.SessionID != "" {
		if sessionID, err = uuid.Parse(ac.SessionID); err != nil {
			return Claims{}, fmt.Errorf("bad session ID %q", ac.SessionID)
		}
	}
	if ac.IssuedAt == nil {
		return Claims{}, errors.New("missing iat")
	}
	return Claims{
		UserID:    userID,
		SessionID: sessionID,
		IssuedAt:  ac.IssuedAt.Time,
		ExpiresAt: ac.ExpiresAt.Time,
	}, nil
}
