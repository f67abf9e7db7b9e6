package certificate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// issueRequest is one certificate to issue.
type issueRequest struct {
	enrolmentID uuid.UUID
	source      Source
	reason      string
	by          *uuid.UUID
	replaces    *Certificate // a re-issue corrects this certificate
}

// issue issues the certificate of a completed enrolment in the transaction
// ctx carries: facts, serial, signature, PDF in the object store, the row,
// and the issued event. An enrolment that already has a live certificate
// gets that one back with created false, so a repeated task changes nothing.
func (s *Service) issue(ctx context.Context, req issueRequest) (Certificate, bool, error) {
	if req.replaces == nil {
		if existing, err := s.store.ofEnrolment(ctx, req.enrolmentID); err == nil {
			return existing, false, nil
		} else if !errors.Is(err, ErrNotFound) {
			return Certificate{}, false, err
		}
	}
	comp, err := s.enrolments.Completion(ctx, req.enrolmentID)
	if err != nil {
		return Certificate{}, false, err
	}
	if !comp.Completed {
		return Certificate{}, false, ErrNotCompleted
	}
	c, pdf, err := s.prepare(ctx, comp, req)
	if err != nil {
		return Certificate{}, false, err
	}
	if err := s.objects.Put(ctx, c.PDFKey, bytes.NewReader(pdf), int64(len(pdf)), "application/pdf"); err != nil {
		return Certificate{}, false, fmt.Errorf("store certificate PDF %s: %w", c.Serial, err)
	}
	if req.replaces != nil {
		if err := s.store.update(ctx, req.replaces.ID, map[string]any{"superseded_by": c.ID}); err != nil {
			return Certificate{}, false, err
		}
	}
	created, err := s.store.insert(ctx, c)
	if err != nil || !created {
		// Another task issued it meanwhile; its PDF is the one that counts,
		// and this one's object, under this certificate's own id, is never read.
		existing, lookErr := s.store.ofEnrolment(ctx, req.enrolmentID)
		return existing, false, errors.Join(err, lookErr)
	}
	if _, err := s.outbox.Add(ctx, queue.Job{Type: EventIssued, Queue: queue.Default, Payload: newEventPayload(c)}); err != nil {
		return Certificate{}, false, fmt.Errorf("announce certificate %s: %w", c.Serial, err)
	}
	return c, true, nil
}

// prepare builds, signs and renders a certificate for a completion.
func (s *Service) prepare(ctx context.Context, comp Completion, req issueRequest) (Certificate, []byte, error) {
	inst, err := s.dir.Organization(ctx, comp.InstituteID)
	if err != nil {
		return Certificate{}, nil, fmt.Errorf("institute of class %s: %w", comp.ClassID, err)
	}
	owner := inst
	if comp.CourseOrgID != inst.ID {
		if owner, err = s.dir.Organization(ctx, comp.CourseOrgID); err != nil {
			return Certificate{}, nil, fmt.Errorf("owner of course %s: %w", comp.CourseID, err)
		}
	}
	learner, err := s.dir.Person(ctx, comp.UserID)
	if err != nil {
		return Certificate{}, nil, fmt.Errorf("learner %s: %w", comp.UserID, err)
	}
	tmpl, ok, err := s.store.templateFor(ctx, inst.ID, comp.CourseID)
	if err != nil {
		return Certificate{}, nil, err
	}
	if !ok {
		tmpl = defaultTemplate(inst.ID)
	}
	now := s.now()
	n, err := s.store.nextSerial(ctx, inst.ID, now.Year())
	if err != nil {
		return Certificate{}, nil, err
	}
	facts := Facts{Serial: FormatSerial(inst.Code, now.Year(), n),
		Institute:   PartyFacts{ID: inst.ID.String(), Code: inst.Code, Name: inst.Name},
		CourseOwner: PartyFacts{ID: owner.ID.String(), Code: owner.Code, Name: owner.Name},
		Learner:     LearnerFacts{ID: learner.ID.String(), Name: learner.Name, NIP: learner.NIP},
		Course: CourseFacts{ID: comp.CourseID.String(), Title: comp.CourseTitle, JP: comp.JP,
			Competencies: append([]string{}, comp.Competencies...)},
		Class:       ClassFacts{ID: comp.ClassID.String(), Code: comp.ClassCode, Title: comp.ClassTitle},
		CompletedOn: comp.CompletedAt.UTC().Format(time.DateOnly), IssuedAt: now, Signatories: tmpl.Signatories}
	if facts.Signatories == nil {
		facts.Signatories = []Signatory{}
	}
	if grade, ok, err := s.finalGrade(ctx, comp); err != nil {
		return Certificate{}, nil, err
	} else if ok {
		facts.Grade = &grade
	}
	var expires *time.Time
	if tmpl.ValidityMonths > 0 {
		at := now.AddDate(0, tmpl.ValidityMonths, 0)
		expires, facts.ExpiresAt = &at, &at
	}
	if tmpl.RecertificationURL != "" {
		facts.Extra = &RecertFacts{URL: tmpl.RecertificationURL}
	}
	if req.replaces != nil {
		facts.Replaces = req.replaces.Serial
	}
	signed, err := facts.canonical()
	if err != nil {
		return Certificate{}, nil, err
	}
	key, err := s.keys.signer(ctx, inst.ID)
	if err != nil {
		return Certificate{}, nil, err
	}
	images, err := s.sheetImages(ctx, tmpl)
	if err != nil {
		return Certificate{}, nil, err
	}
	pdf, err := renderPDF(sheet{facts: facts, template: tmpl, images: images, verifyURL: s.VerifyURL(facts.Serial)}, s.fonts)
	if err != nil {
		return Certificate{}, nil, err
	}
	sum := sha256.Sum256(pdf)
	id := newID()
	c := Certificate{ID: id, Serial: facts.Serial, OrgID: inst.ID, EnrolmentID: comp.EnrolmentID, ClassID: comp.ClassID,
		CourseID: comp.CourseID, UserID: comp.UserID, Source: req.source, Reason: req.reason, Facts: signed,
		KeyID: key.kid, Signature: sign(key.private, signed), PDFKey: "certificates/" + id.String() + ".pdf",
		PDFSHA256: hex.EncodeToString(sum[:]), IssuedBy: req.by, IssuedAt: now, ExpiresAt: expires}
	if tmpl.ID != uuid.Nil {
		c.TemplateID = &tmpl.ID
	}
	if req.replaces != nil {
		c.ReplacesID = &req.replaces.ID
	}
	return c, pdf, nil
}

func (s *Service) finalGrade(ctx context.Context, comp Completion) (float64, bool, error) {
	if s.grades == nil {
		return 0, false, nil
	}
	grade, ok, err := s.grades.FinalGrade(ctx, comp.ClassID, comp.UserID)
	if err != nil {
		return 0, false, fmt.Errorf("final grade of %s in %s: %w", comp.UserID, comp.ClassID, err)
	}
	return grade, ok, nil
}

// issuerScope authorizes the caller to issue for an institute: staff who
// see the institute and may not issue are forbidden, anyone else is told
// notFound.
func (s *Service) issuerScope(ctx context.Context, instituteID uuid.UUID, notFound error) (*authz.Actor, string, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	path, err := s.dir.OrgPath(ctx, instituteID)
	if err != nil {
		return nil, "", fmt.Errorf("institute %s: %w", instituteID, err)
	}
	issuer := actor.Can(authz.CertificateIssue, path)
	return actor, path, authz.Decide(issuer || actor.Can(authz.OrgRead, path), issuer, notFound)
}

// Issue issues by hand the certificate of a completed enrolment, with the
// registrar's reason: for a completion whose certificate did not come.
func (s *Service) Issue(ctx context.Context, enrolmentID uuid.UUID, reason string) (Certificate, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Certificate{}, err
	}
	comp, err := s.enrolments.Completion(ctx, enrolmentID)
	if err != nil {
		return Certificate{}, err
	}
	actor, path, err := s.issuerScope(ctx, comp.InstituteID, ErrEnrolmentNotFound)
	if err != nil {
		return Certificate{}, err
	}
	if comp.UserID == actor.UserID {
		return Certificate{}, ErrOwnCertificate
	}
	var out Certificate
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		c, created, err := s.issue(ctx, issueRequest{enrolmentID: enrolmentID, source: SourceManual, reason: reason, by: &actor.UserID})
		if err != nil {
			return err
		}
		if !created {
			return ErrAlreadyIssued
		}
		out = c
		return s.audit.Record(ctx, authz.CertificateIssue, change("certificate.issue", c, path, nil, auditView(c)))
	})
	return out, err
}

// Revoke revokes a certificate with a reason; verifiers see it revoked.
func (s *Service) Revoke(ctx context.Context, id uuid.UUID, reason string) (Certificate, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		c, actor, path, err := s.manage(ctx, id)
		if err != nil {
			return err
		}
		if c.RevokedAt != nil {
			return ErrRevoked
		}
		before := auditView(c)
		now := s.now()
		c.RevokedAt, c.RevokedBy, c.RevocationReason = &now, &actor.UserID, reason
		if err := s.store.update(ctx, c.ID, map[string]any{"revoked_at": now, "revoked_by": actor.UserID, "revocation_reason": reason}); err != nil {
			return err
		}
		if _, err := s.outbox.Add(ctx, queue.Job{Type: EventRevoked, Queue: queue.Default, Payload: newEventPayload(c)}); err != nil {
			return fmt.Errorf("announce revocation of %s: %w", c.Serial, err)
		}
		out = c
		return s.audit.Record(ctx, authz.CertificateIssue, change("certificate.revoke", c, path, before, auditView(c)))
	})
	return out, err
}

// Reissue replaces a certificate after a correction (a misspelt name): a
// new serial whose facts name the old one; the old one reads as superseded.
func (s *Service) Reissue(ctx context.Context, id uuid.UUID, reason string) (Certificate, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Certificate{}, err
	}
	var out Certificate
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		old, actor, path, err := s.manage(ctx, id)
		if err != nil {
			return err
		}
		if old.SupersededBy != nil {
			return ErrSuperseded
		}
		c, _, err := s.issue(ctx, issueRequest{enrolmentID: old.EnrolmentID, source: SourceReissue, reason: reason, by: &actor.UserID, replaces: &old})
		if err != nil {
			return err
		}
		out = c
		return s.audit.Record(ctx, authz.CertificateIssue, change("certificate.reissue", c, path, auditView(old), auditView(c)))
	})
	return out, err
}

// manage locks a certificate the caller issues for; its holder sees it and
// is forbidden, anyone else is told it does not exist.
func (s *Service) manage(ctx context.Context, id uuid.UUID) (Certificate, *authz.Actor, string, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Certificate{}, nil, "", err
	}
	c, err := s.store.certificate(ctx, id, true)
	if err != nil {
		return c, nil, "", err
	}
	path, err := s.dir.OrgPath(ctx, c.OrgID)
	if err != nil {
		return c, nil, "", fmt.Errorf("institute of %s: %w", c.Serial, err)
	}
	issuer := actor.Can(authz.CertificateIssue, path)
	holder := c.UserID == actor.UserID && actor.MaySelf(authz.SelfLearn)
	if err := authz.Decide(issuer || holder, issuer, ErrNotFound); err != nil {
		return c, actor, path, err
	}
	if c.UserID == actor.UserID {
		return c, actor, path, ErrOwnCertificate
	}
	return c, actor, path, nil
}

// checkReason trims the reason every manual act on a certificate needs.
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return "", apperr.Invalid("reason", "Alasan wajib diisi (paling banyak 1000 karakter).", "A reason is required (at most 1000 characters).")
	}
	return reason, nil
}

// auditView is what the audit log keeps of a certificate: no facts or signature.
func auditView(c Certificate) map[string]any {
	return map[string]any{"serial": c.Serial, "enrolment_id": c.EnrolmentID, "user_id": c.UserID, "source": c.Source,
		"reason": c.Reason, "revoked_at": c.RevokedAt, "revocation_reason": c.RevocationReason,
		"replaces_id": c.ReplacesID, "superseded_by": c.SupersededBy}
}

func change(action string, c Certificate, path string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "certificate", EntityID: c.ID.String(), OrgID: c.OrgID, OrgPath: path,
		Before: before, After: after}
}
