package certificate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Verification is what anyone is told about a serial: the status, the facts
// read from the signed bytes, and whether the institute's signature holds.
type Verification struct {
	Serial           string
	Status           Status // valid, revoked, expired, superseded
	Facts            Facts
	SignatureValid   bool
	KeyID            string
	IssuedAt         time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	RevocationReason string
	SupersededBy     string // the serial of the correction, when superseded
	PDFSHA256        string
}

// Verify looks a serial up for anyone, without signing in. A serial of no
// certificate is ErrNotFound; a malformed one ErrMalformedSerial.
func (s *Service) Verify(ctx context.Context, serial string) (Verification, error) {
	serial, err := ParseSerial(serial)
	if err != nil {
		return Verification{}, err
	}
	c, err := s.store.bySerial(ctx, serial)
	if err != nil {
		return Verification{}, err
	}
	facts, err := parseFacts(c.Facts)
	if err != nil {
		return Verification{}, err
	}
	pub, err := s.keys.publicKey(ctx, c.KeyID)
	if err != nil {
		return Verification{}, err
	}
	v := Verification{Serial: c.Serial, Status: c.StatusAt(s.now()), Facts: facts, KeyID: c.KeyID,
		SignatureValid: verifySignature(pub, c.Facts, c.Signature) && facts.Serial == c.Serial,
		IssuedAt:       c.IssuedAt, ExpiresAt: c.ExpiresAt, RevokedAt: c.RevokedAt, RevocationReason: c.RevocationReason,
		PDFSHA256: c.PDFSHA256}
	if c.SupersededBy != nil {
		if next, err := s.store.certificate(ctx, *c.SupersededBy, false); err == nil {
			v.SupersededBy = next.Serial
		}
	}
	return v, nil
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ErrMalformedDigest: the sha256 sent is not 64 hex digits.
var ErrMalformedDigest = errors.New("malformed sha256")

// PDFDigest is the sha256 of a PDF file, as CheckPDF takes it.
func PDFDigest(pdf []byte) string {
	sum := sha256.Sum256(pdf)
	return hex.EncodeToString(sum[:])
}

// CheckPDF tells whether a PDF, given by its sha256, is the original of the
// serial's certificate: a PDF changed in any byte is not.
func (s *Service) CheckPDF(ctx context.Context, serial, digest string) (Verification, bool, error) {
	digest = strings.ToLower(strings.TrimSpace(digest))
	if !sha256Pattern.MatchString(digest) {
		return Verification{}, false, fmt.Errorf("%w: want 64 hex digits", ErrMalformedDigest)
	}
	v, err := s.Verify(ctx, serial)
	if err != nil {
		return v, false, err
	}
	return v, v.PDFSHA256 == digest, nil
}
