package certificate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeBulkIssue is the job that certifies every completed enrolment of a class.
const TypeBulkIssue = "certificate:bulk-issue"

// JobKindBulkIssue is the kind of its job resource.
const JobKindBulkIssue = "certificate_bulk_issue"

// ErrJobOver: the job of a task is already finished or cancelled.
var ErrJobOver = errors.New("job is over")

type bulkPayload struct {
	JobID   uuid.UUID `json:"job_id"`
	ClassID uuid.UUID `json:"class_id"`
	By      uuid.UUID `json:"by"`
}

// BulkResult is what a finished bulk issue reports.
type BulkResult struct {
	Issued int `json:"issued"`
	Total  int `json:"total"`
}

// IssueForClass starts a job that certifies every completed enrolment of a
// class that has no certificate yet.
func (s *Service) IssueForClass(ctx context.Context, classID uuid.UUID) (job.Job, error) {
	instituteID, err := s.enrolments.ClassInstitute(ctx, classID)
	if err != nil {
		return job.Job{}, err
	}
	actor, _, err := s.issuerScope(ctx, instituteID, ErrClassNotFound)
	if err != nil {
		return job.Job{}, err
	}
	var ref job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		j, err := s.jobs.Create(ctx, JobKindBulkIssue, authz.CertificateIssue, instituteID, map[string]any{"class_id": classID})
		if err != nil {
			return err
		}
		ref = j
		_, err = s.outbox.Add(ctx, queue.Job{Type: TypeBulkIssue, Queue: queue.Default, MaxRetry: 10,
			Payload: bulkPayload{JobID: j.ID, ClassID: classID, By: actor.UserID}})
		return err
	})
	return ref, err
}

// defaultBulkPage is how many enrolments a bulk issue certifies between two
// progress reports.
const defaultBulkPage = 200

// HandleBulkIssue runs a bulk issue. It commits each certificate on its own
// and skips enrolments already certified, so a worker killed mid-way and
// the task run again continues where it stopped: no duplicate, no gap.
func (s *Service) HandleBulkIssue(ctx context.Context, t *asynq.Task) error {
	var p bulkPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if err := s.jobs.Start(ctx, p.JobID); errors.Is(err, ErrJobOver) {
		return nil
	} else if err != nil {
		return err
	}
	result, err := s.certifyClass(ctx, p.ClassID, &p.By, func(done, total int) error {
		return s.jobs.Progress(ctx, p.JobID, done, total)
	})
	if errors.Is(err, ErrJobOver) {
		return nil
	}
	if err != nil && lastAttempt(ctx) {
		// What was issued stays issued; the job says how far it got.
		msg := fmt.Sprintf("Sebagian dari %d pendaftaran selesai tidak dapat diberi sertifikat (%d diterbitkan pada percobaan terakhir). / "+
			"Some of %d completed enrolments could not be certified (%d issued in the last attempt).",
			result.Total, result.Issued, result.Total, result.Issued)
		return errors.Join(err, s.jobs.Fail(ctx, p.JobID, msg))
	}
	if err != nil {
		return err
	}
	return s.jobs.Succeed(ctx, p.JobID, result)
}

// lastAttempt reports whether the task running in ctx will not be retried.
func lastAttempt(ctx context.Context) bool {
	retried, ok := asynq.GetRetryCount(ctx)
	limit, known := asynq.GetMaxRetry(ctx)
	return ok && known && retried >= limit
}

// certifyClass issues the missing certificates of a class page by page,
// reporting progress after each page.
func (s *Service) certifyClass(ctx context.Context, classID uuid.UUID, by *uuid.UUID, progress func(done, total int) error) (BulkResult, error) {
	var res BulkResult
	var ids []uuid.UUID
	for after := uuid.Nil; ; {
		page, err := s.enrolments.CompletedInClass(ctx, classID, after, 5000)
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			break
		}
		ids = append(ids, page...)
		after = page[len(page)-1]
	}
	res.Total = len(ids)
	var failed []error // enrolments that failed, reported after all were tried
	for start := 0; start < len(ids); start += s.bulkPage {
		chunk := ids[start:min(start+s.bulkPage, len(ids))]
		n, err := s.issueAll(ctx, chunk, SourceBulk, by)
		res.Issued += n
		if ctx.Err() != nil {
			return res, errors.Join(ctx.Err(), err)
		}
		if err != nil {
			failed = append(failed, err)
		}
		if err := progress(start+len(chunk), res.Total); err != nil {
			return res, err
		}
	}
	return res, errors.Join(failed...)
}

// issueAll issues the certificates of the enrolments that have none, each in
// its own transaction, rendering on every core; it returns how many it issued.
// An enrolment that fails does not stop the others: its error is returned
// with theirs once all are tried (the first few), and a rerun tries it again.
// A cancelled context stops them all.
func (s *Service) issueAll(ctx context.Context, enrolmentIDs []uuid.UUID, source Source, by *uuid.UUID) (int, error) {
	certified, err := s.store.certified(ctx, enrolmentIDs)
	if err != nil {
		return 0, err
	}
	todo := make(chan uuid.UUID)
	var issued atomic.Int64
	var failures enrolmentFailures
	g, gctx := errgroup.WithContext(ctx)
	for range runtime.GOMAXPROCS(0) + 1 {
		g.Go(func() error {
			for id := range todo {
				err := s.db.WithTx(gctx, func(ctx context.Context) error {
					_, created, err := s.issue(ctx, issueRequest{enrolmentID: id, source: source, by: by})
					if created {
						database.AfterCommit(ctx, func(context.Context) { issued.Add(1) })
					}
					return err
				})
				switch {
				case err == nil || errors.Is(err, ErrNotCompleted):
				case gctx.Err() != nil:
					return gctx.Err()
				default:
					failures.add(fmt.Errorf("certificate for enrolment %s: %w", id, err))
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(todo)
		for _, id := range enrolmentIDs {
			if certified[id] {
				continue
			}
			select {
			case todo <- id:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	err = g.Wait()
	return int(issued.Load()), errors.Join(err, failures.err())
}

// enrolmentFailures keeps the first errors of a batch of issues.
type enrolmentFailures struct {
	mu   sync.Mutex
	errs []error
	n    int
}

// maxReportedFailures bounds the errors a batch reports.
const maxReportedFailures = 5

func (f *enrolmentFailures) add(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if len(f.errs) < maxReportedFailures {
		f.errs = append(f.errs, err)
	}
}

func (f *enrolmentFailures) err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return nil
	}
	return fmt.Errorf("%d enrolments not certified: %w", f.n, errors.Join(f.errs...))
}
