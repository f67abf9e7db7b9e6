package certificate

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/page"
)

// ErrIssuerNotFound: the organisation has signed no certificate.
var ErrIssuerNotFound = apperr.New(apperr.KindNotFound, "certificate.issuer_not_found",
	"Penerbit sertifikat tidak ditemukan.", "Certificate issuer not found.")

// see loads a certificate its holder or an issuer of its institute may read;
// anyone else is told it does not exist.
func (s *Service) see(ctx context.Context, id uuid.UUID) (Certificate, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Certificate{}, err
	}
	c, err := s.store.certificate(ctx, id, false)
	if err != nil {
		return c, err
	}
	if c.UserID == actor.UserID && actor.MaySelf(authz.SelfLearn) {
		return c, nil
	}
	path, err := s.dir.OrgPath(ctx, c.OrgID)
	if err != nil {
		return c, fmt.Errorf("institute of %s: %w", c.Serial, err)
	}
	if !actor.Can(authz.CertificateIssue, path) {
		return Certificate{}, ErrNotFound
	}
	return c, nil
}

// Certificate returns a certificate its holder or its issuers may read.
func (s *Service) Certificate(ctx context.Context, id uuid.UUID) (Certificate, error) {
	return s.see(ctx, id)
}

// Download returns a short-lived link to a certificate's PDF.
func (s *Service) Download(ctx context.Context, id uuid.UUID) (objectstore.Presigned, error) {
	c, err := s.see(ctx, id)
	if err != nil {
		return objectstore.Presigned{}, err
	}
	return s.objects.PresignGet(ctx, c.PDFKey, "sertifikat-"+URLSerial(c.Serial)+".pdf")
}

// MyCertificates lists the caller's own certificates, newest first.
func (s *Service) MyCertificates(ctx context.Context, req page.Request) (page.Result[Certificate], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Certificate]{}, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return page.Result[Certificate]{}, apperr.New(apperr.KindForbidden, "certificate.self_only",
			"Token ini tidak boleh membaca sertifikat Anda.", "This token may not read your certificates.")
	}
	rows, err := s.store.ofUser(ctx, actor.UserID, req)
	if err != nil {
		return page.Result[Certificate]{}, err
	}
	return page.Build(rows, req.Limit, func(c Certificate) page.Position { return page.Position{ID: c.ID.String()} }), nil
}

// Expiring lists an institute's live certificates that expire within days,
// soonest first, for the registrars who plan recertification.
func (s *Service) Expiring(ctx context.Context, orgID uuid.UUID, days int, req page.Request) (page.Result[Certificate], error) {
	if _, _, err := s.issuerScope(ctx, orgID, ErrIssuerNotFound); err != nil {
		return page.Result[Certificate]{}, err
	}
	if days < 1 || days > 730 {
		return page.Result[Certificate]{}, apperr.Invalid("within_days", "Antara 1 dan 730 hari.", "Between 1 and 730 days.")
	}
	rows, err := s.store.expiring(ctx, []uuid.UUID{orgID}, s.now().Add(time.Duration(days)*24*time.Hour), req)
	if err != nil {
		return page.Result[Certificate]{}, err
	}
	return page.Build(rows, req.Limit, func(c Certificate) page.Position {
		return page.Position{Key: c.ExpiresAt.UTC().Format(time.RFC3339Nano), ID: c.ID.String()}
	}), nil
}

// MaxClassCertificates bounds the certificates ClassCertificates lists.
const MaxClassCertificates = 1000

// ClassCertificates lists a class's certificates, by serial, for an issuer
// of the institute that ran it; anyone else is told the class does not
// exist.
func (s *Service) ClassCertificates(ctx context.Context, classID uuid.UUID) ([]Certificate, error) {
	instituteID, err := s.enrolments.ClassInstitute(ctx, classID)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.issuerScope(ctx, instituteID, ErrClassNotFound); err != nil {
		return nil, err
	}
	return s.store.ofClass(ctx, classID, MaxClassCertificates)
}

// StatusOf is a certificate's status now.
func (s *Service) StatusOf(c Certificate) Status { return c.StatusAt(s.now()) }

// HolderFacts are the names a certificate shows, read from its signed facts.
type HolderFacts struct {
	Learner, NIP, Course, Institute string
	JP                              float64
}

// FactsOf reads the names of a certificate's signed facts.
func FactsOf(c Certificate) HolderFacts {
	f, _ := parseFacts(c.Facts) // facts were stored from this struct's JSON
	return HolderFacts{Learner: f.Learner.Name, NIP: f.Learner.NIP, Course: f.Course.Title, Institute: f.Institute.Name, JP: f.Course.JP}
}
