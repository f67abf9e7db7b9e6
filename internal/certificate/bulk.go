package certificate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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
	if err != nil {
		return err
	}
	return s.jobs.Succeed(ctx, p.JobID, result)
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
	for start := 0; start < len(ids); start += s.bulkPage {
		chunk := ids[start:min(start+s.bulkPage, len(ids))]
		n, err := s.issueAll(ctx, chunk, SourceBulk, by)
		res.Issued += n
		if err != nil {
			return res, err
		}
		if err := progress(start+len(chunk), res.Total); err != nil {
			return res, err
		}
	}
	return res, nil
}

// issueAll issues the certificates of the enrolments that have none, each in
// its own transaction, rendering on every core; it returns how many it issued.
func (s *Service) issueAll(ctx context.Context, enrolmentIDs []uuid.UUID, source Source, by *uuid.UUID) (int, error) {
	certified, err := s.store.certified(ctx, enrolmentIDs)
	if err != nil {
		return 0, err
	}
	todo := make(chan uuid.UUID)
	var issued atomic.Int64
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
				if err != nil && !errors.Is(err, ErrNotCompleted) {
					return fmt.Errorf("certificate for enrolment %s: %w", id, err)
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
	return int(issued.Load()), err
}
