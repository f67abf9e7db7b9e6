package job

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
)

// Service creates jobs for the domains that start long work, records what
// their task handlers report, and shows each job to the one who started it.
type Service struct {
	db      *database.DB
	store   store
	objects *objectstore.Store
	now     func() time.Time
}

// NewService returns the job service; objects holds result files and error
// reports, handed out as presigned URLs.
func NewService(db *database.DB, objects *objectstore.Store) *Service {
	return &Service{db: db, store: store{db: db}, objects: objects, now: func() time.Time { return time.Now().UTC() }}
}

// Create records a queued job of kind for the caller, in the transaction
// carried by ctx: the caller records the task's outbox row in the same one,
// so the job exists exactly when its work will run. params is stored as JSON
// for the task handler. perm is the permission the work was started under:
// a personal API token reads the job only when it carries it.
func (s *Service) Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (Job, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Job{}, err
	}
	body := []byte("{}")
	if params != nil {
		if body, err = json.Marshal(params); err != nil {
			return Job{}, fmt.Errorf("encode %s job params: %w", kind, err)
		}
	}
	r := jobRow{ID: uuid.Must(uuid.NewV7()), Kind: kind, Status: string(StatusQueued), OwnerID: actor.UserID, OrgID: orgID,
		Permission: string(perm), Params: body, CreatedAt: s.now()}
	if err := s.store.create(ctx, r); err != nil {
		return Job{}, err
	}
	return r.toJob(), nil
}

// Start marks the job running and returns it, for its task handler. A job
// already over (a task delivered again after it finished, or a cancelled
// job) returns ErrFinished: the handler should do nothing and return nil. A
// job already running is a retry after a crash and runs again.
func (s *Service) Start(ctx context.Context, id uuid.UUID) (Job, error) {
	ok, err := s.store.update(ctx, id, []Status{StatusQueued, StatusRunning}, map[string]any{
		"status": string(StatusRunning), "started_at": gorm.Expr("COALESCE(started_at, ?)", s.now()),
	})
	if err != nil {
		return Job{}, err
	}
	r, err := s.store.get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if !ok {
		return r.toJob(), ErrFinished
	}
	return r.toJob(), nil
}

// Progress records how much of the work is done. When the job was cancelled
// meanwhile it returns ErrCancelled, and the handler should stop.
func (s *Service) Progress(ctx context.Context, id uuid.UUID, done, total int) error {
	ok, err := s.store.update(ctx, id, []Status{StatusQueued, StatusRunning}, map[string]any{
		"progress_done": done, "progress_total": total,
	})
	if err != nil || ok {
		return err
	}
	return s.notRunning(ctx, id)
}

// notRunning explains why a job could not be updated.
func (s *Service) notRunning(ctx context.Context, id uuid.UUID) error {
	r, err := s.store.get(ctx, id)
	if err != nil {
		return err
	}
	if Status(r.Status) == StatusCancelled {
		return ErrCancelled
	}
	return ErrFinished
}

// Succeed finishes the job with a small JSON summary and the object keys of
// a result file and an error report (either may be empty). Succeeding a job
// that already succeeded changes nothing; a cancelled one returns
// ErrCancelled.
func (s *Service) Succeed(ctx context.Context, id uuid.UUID, result any, resultKey, errorReportKey string) error {
	var body []byte
	if result != nil {
		var err error
		if body, err = json.Marshal(result); err != nil {
			return fmt.Errorf("encode job result: %w", err)
		}
	}
	ok, err := s.store.update(ctx, id, []Status{StatusQueued, StatusRunning}, map[string]any{
		"status": string(StatusSucceeded), "result": body, "result_key": database.NullIfEmpty(resultKey),
		"error_report_key": database.NullIfEmpty(errorReportKey), "finished_at": s.now(),
	})
	if err != nil || ok {
		return err
	}
	if err := s.notRunning(ctx, id); !errors.Is(err, ErrFinished) {
		return err
	}
	return nil
}

// Fail finishes the job as failed with a message for the one who started
// it. Failing a job already over changes nothing.
func (s *Service) Fail(ctx context.Context, id uuid.UUID, msg string) error {
	_, err := s.store.update(ctx, id, []Status{StatusQueued, StatusRunning}, map[string]any{
		"status": string(StatusFailed), "error": msg, "finished_at": s.now(),
	})
	return err
}

// Get returns a job to the one who started it, or to a platform admin;
// anyone else gets ErrNotFound. A personal API token of the owner reads it
// only when it carries the permission the job was started under (or, for
// work started on one's own behalf, the self-service one); otherwise the
// owner may see the job but the token may not read it: 403.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Job, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Job{}, err
	}
	r, err := s.store.get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	visible := r.OwnerID == actor.UserID || actor.IsPlatformAdmin()
	if err := authz.Decide(visible, visible && tokenMayRead(actor, authz.Permission(r.Permission)), ErrNotFound); err != nil {
		return Job{}, err
	}
	return r.toJob(), nil
}

// Cancel stops a queued or running job of the caller. A queued job never
// starts; a running one stops at its next progress report, keeping what it
// has done. A job already over returns ErrFinished.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (Job, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return Job{}, err
	}
	ok, err := s.store.update(ctx, id, []Status{StatusQueued, StatusRunning}, map[string]any{
		"status": string(StatusCancelled), "finished_at": s.now(),
	})
	if err != nil {
		return Job{}, err
	}
	if !ok {
		return Job{}, ErrFinished
	}
	r, err := s.store.get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	return r.toJob(), nil
}

// Links returns presigned URLs to download the job's result file and error
// report; an URL is empty when the job has no such file. Call it only for a
// job the caller may see.
func (s *Service) Links(ctx context.Context, j Job) (resultURL, errorReportURL string, err error) {
	for _, l := range []struct {
		key string
		url *string
	}{{j.ResultKey, &resultURL}, {j.ErrorReportKey, &errorReportURL}} {
		if l.key == "" {
			continue
		}
		p, err := s.objects.PresignGet(ctx, l.key, path.Base(l.key))
		if err != nil {
			return "", "", err
		}
		*l.url = p.URL
	}
	return resultURL, errorReportURL, nil
}

// tokenMayRead reports whether the actor's credential reaches a job started
// under perm: a session always does, a narrowed API token when it names perm.
func tokenMayRead(actor *authz.Actor, perm authz.Permission) bool {
	if actor.Scopes == nil {
		return true
	}
	if perm == "" {
		return actor.MaySelf(authz.SelfLearn)
	}
	return slices.Contains(actor.Scopes, perm)
}
