package certificate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/queue"
)

// The events certificates announce through the outbox; competency evidence
// and dashboards consume them.
const (
	EventIssued  = "certificate:issued"
	EventRevoked = "certificate:revoked"
)

// EventPayload is the payload of EventIssued and EventRevoked.
type EventPayload struct {
	CertificateID uuid.UUID  `json:"certificate_id"`
	Serial        string     `json:"serial"`
	OrgID         uuid.UUID  `json:"org_id"`
	UserID        uuid.UUID  `json:"user_id"`
	EnrolmentID   uuid.UUID  `json:"enrolment_id"`
	ClassID       uuid.UUID  `json:"class_id"`
	CourseID      uuid.UUID  `json:"course_id"`
	IssuedAt      time.Time  `json:"issued_at"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	ReplacesID    *uuid.UUID `json:"replaces_id,omitempty"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	Reason        string     `json:"reason,omitempty"`
}

func newEventPayload(c Certificate) EventPayload {
	return EventPayload{CertificateID: c.ID, Serial: c.Serial, OrgID: c.OrgID, UserID: c.UserID, EnrolmentID: c.EnrolmentID,
		ClassID: c.ClassID, CourseID: c.CourseID, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, ReplacesID: c.ReplacesID,
		RevokedAt: c.RevokedAt, Reason: c.RevocationReason}
}

// EventEnrolmentCompleted is delivery's completion event (its
// TypeEnrolmentCompleted), named here so that certificates need not import delivery.
const EventEnrolmentCompleted = "delivery:enrolment-completed"

// ConsumerCompletion is the certificate consumer of EventEnrolmentCompleted.
const ConsumerCompletion = "certificate.issue"

// completedPayload is what certificates read of EventEnrolmentCompleted.
type completedPayload struct {
	EnrolmentID uuid.UUID `json:"enrolment_id"`
}

// HandleEnrolmentCompleted issues the certificate of a completed enrolment.
// Subscribed on the bus it runs in the transaction that records the delivery
// done; with the enrolment's unique live certificate a repeated task issues
// nothing twice. An enrolment no longer completed (a correction) gets none.
func (s *Service) HandleEnrolmentCompleted(ctx context.Context, t *asynq.Task) error {
	var p completedPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	_, _, err := s.issue(ctx, issueRequest{enrolmentID: p.EnrolmentID, source: SourceCompletion})
	switch {
	case errors.Is(err, ErrNotCompleted):
		return nil
	case errors.Is(err, ErrEnrolmentNotFound):
		return fmt.Errorf("certificate for enrolment %s: %w", p.EnrolmentID, errors.Join(err, asynq.SkipRetry))
	}
	return err
}

// TypeMail is identity's task that sends one e-mail, named here so that
// certificates need not import identity.
const TypeMail = "identity:send-mail"

type mailPayload struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Sweeps registers the periodic work that recovers from PostgreSQL what
// Redis lost: certificates of completions whose task never ran, and the
// reminders of certificates about to expire.
func (s *Service) Sweeps(bus *queue.Bus, log *slog.Logger) {
	bus.Reconcile("certificate-missed", "*/5 * * * *", func(ctx context.Context) error {
		n, err := s.IssueMissed(ctx, s.now().Add(-missedWindow))
		if n > 0 {
			log.InfoContext(ctx, "issued certificates a lost task missed", "count", n)
		}
		return err
	})
	bus.Reconcile("certificate-expiry-reminders", "23 * * * *", func(ctx context.Context) error {
		_, err := s.RemindExpiring(ctx)
		return err
	})
}

// missedWindow is how far back the sweep looks for completions without a
// certificate; the bus redelivers a lost task long before.
const missedWindow = 72 * time.Hour

// sweepPage is how many enrolments a sweep reads at once.
const sweepPage = 500

// IssueMissed issues the certificates of enrolments completed since that
// have none, each in its own transaction, and returns how many it issued.
func (s *Service) IssueMissed(ctx context.Context, since time.Time) (int, error) {
	issued := 0
	after := uuid.Nil
	var failed []error // enrolments that failed, reported after all were tried
	for {
		ids, err := s.enrolments.CompletedSince(ctx, since, after, sweepPage)
		if err != nil || len(ids) == 0 {
			return issued, errors.Join(append(failed, err)...)
		}
		n, err := s.issueAll(ctx, ids, SourceCompletion, nil)
		issued += n
		if ctx.Err() != nil {
			return issued, errors.Join(ctx.Err(), err)
		}
		if err != nil {
			failed = append(failed, err)
		}
		after = ids[len(ids)-1]
	}
}

// RemindExpiring mails the holders of certificates that expire within the
// reminder period, and their supervisors, once: reminded_at, set in the
// transaction that queues the mail, is the state that survives a lost task.
func (s *Service) RemindExpiring(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			due, err := s.store.dueReminders(ctx, s.now().Add(s.reminder), 100)
			if err != nil {
				return err
			}
			for _, c := range due {
				if err := s.remind(ctx, c); err != nil {
					return err
				}
			}
			n = len(due)
			return nil
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func (s *Service) remind(ctx context.Context, c Certificate) error {
	facts, err := parseFacts(c.Facts)
	if err != nil {
		return err
	}
	holder, err := s.dir.Person(ctx, c.UserID)
	if err != nil {
		return fmt.Errorf("holder of %s: %w", c.Serial, err)
	}
	recipients := []Person{holder}
	if holder.SupervisorID != nil {
		if sup, err := s.dir.Person(ctx, *holder.SupervisorID); err == nil {
			recipients = append(recipients, sup)
		}
	}
	for _, to := range recipients {
		if to.Email == "" {
			continue
		}
		if _, err := s.outbox.Add(ctx, queue.Job{Type: TypeMail, Queue: queue.Low, Payload: reminderMail(to, holder, facts, *c.ExpiresAt, s.VerifyURL(c.Serial))}); err != nil {
			return fmt.Errorf("queue expiry reminder of %s: %w", c.Serial, err)
		}
	}
	return s.store.update(ctx, c.ID, map[string]any{"reminded_at": s.now()})
}

// reminderMail is the reminder in Indonesian, then English.
func reminderMail(to, holder Person, f Facts, expires time.Time, verifyURL string) mailPayload {
	recert := "Hubungi lembaga pelatihan Anda untuk sertifikasi ulang."
	recertEN := "Ask your training institute how to recertify."
	if f.Extra != nil && f.Extra.URL != "" {
		recert = "Sertifikasi ulang: " + f.Extra.URL
		recertEN = "Recertify: " + f.Extra.URL
	}
	date := expires.Format(time.DateOnly)
	return mailPayload{To: to.Email,
		Subject: "Sertifikat " + f.Serial + " segera kedaluwarsa / Certificate expires soon",
		Text: fmt.Sprintf("Yth. %s,\n\nSertifikat %s (%s) atas nama %s berlaku sampai %s. %s\nVerifikasi: %s\n\n---\n\n"+
			"Dear %s,\n\nCertificate %s (%s) of %s is valid until %s. %s\nVerify: %s\n\n— Corpu\n",
			to.Name, f.Serial, f.Course.Title, holder.Name, longDate(date, "id"), recert, verifyURL,
			to.Name, f.Serial, f.Course.Title, holder.Name, longDate(date, "en"), recertEN, verifyURL)}
}
