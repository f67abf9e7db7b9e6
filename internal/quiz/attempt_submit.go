package quiz

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Submit ends the caller's attempt and queues its grading, in one
// transaction; submitting again returns the attempt as it is. At most
// MaxConcurrentSubmits end at once per process; the excess waits a moment,
// then gets ErrSubmitBusy with a Retry-After (its answers stay saved, and
// the server's clock closes the attempt at its deadline regardless).
func (s *Service) Submit(ctx context.Context, attemptID uuid.UUID) (AttemptView, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return AttemptView{}, err
	}
	a, err := s.store.attempt(ctx, attemptID, false)
	if err != nil {
		return AttemptView{}, err
	}
	if a.UserID != actor.UserID || !actor.MaySelf(authz.SelfLearn) {
		return AttemptView{}, s.notOwner(ctx, a.ClassID)
	}
	if a.State == StateInProgress {
		if err := s.submit(ctx, attemptID); err != nil {
			return AttemptView{}, err
		}
	}
	return s.GetAttempt(ctx, attemptID)
}

// submit finishes an attempt in progress holding a place of the submit gate.
func (s *Service) submit(ctx context.Context, attemptID uuid.UUID) error {
	release, retryAfter := s.submits.Enter(ctx)
	if release == nil {
		return ErrSubmitBusy.WithRetryAfter(retryAfter)
	}
	defer release()
	return s.finish(ctx, attemptID, false)
}

// close ends an attempt whose time ran out, finished at its deadline.
func (s *Service) close(ctx context.Context, attemptID uuid.UUID) error {
	return s.finish(ctx, attemptID, true)
}

// finish moves an attempt in progress to submitted with its grading job in
// the same transaction; finished at now, or at the deadline when that came
// first (always, when overdue). An attempt already finished is left alone.
func (s *Service) finish(ctx context.Context, attemptID uuid.UUID, overdue bool) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		done, err := s.store.finishAttempt(ctx, attemptID, s.now(), overdue, s.grace)
		if err != nil || !done {
			return err
		}
		_, err = s.outbox.Add(ctx, newGradeAttemptJob(attemptID))
		return err
	})
}

// CloseOverdue closes the attempts whose time ran out (their deadline and
// grace passed) in batches, finishing each at its deadline; the periodic
// sweep runs it, and reads and saves close an attempt they meet too.
func (s *Service) CloseOverdue(ctx context.Context) (int, error) {
	total := 0
	for {
		ids, err := s.store.overdueAttempts(ctx, s.now().Add(-s.grace), 200)
		if err != nil {
			return total, err
		}
		for _, id := range ids {
			if err := s.close(ctx, id); err != nil {
				return total, err
			}
		}
		total += len(ids)
		if len(ids) < 200 {
			return total, nil
		}
	}
}

// RequeueUngraded records a grading job again for attempts submitted long
// ago and still not graded (Redis lost the task, a worker died for good);
// grading twice changes nothing, so a duplicate is harmless.
func (s *Service) RequeueUngraded(ctx context.Context, olderThan time.Duration) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ids, err := s.store.staleSubmitted(ctx, s.now().Add(-olderThan), 500)
		if err != nil {
			return err
		}
		jobs := make([]queue.Job, len(ids))
		for i, id := range ids {
			jobs[i] = newGradeAttemptJob(id)
		}
		if _, err := s.outbox.AddAll(ctx, jobs); err != nil {
			return err
		}
		n = len(ids)
		return s.store.markGradeRequested(ctx, ids)
	})
	return n, err
}

func newGradeAttemptJob(attemptID uuid.UUID) queue.Job {
	return queue.Job{Type: TypeGradeAttempt, Queue: queue.Critical, Payload: GradeAttemptPayload{AttemptID: attemptID}}
}

// AttemptFilter narrows a class's attempt list.
type AttemptFilter struct {
	State  string
	UserID uuid.UUID
}

// ClassAttempts lists the attempts of a quiz in a class: every one to the
// class's staff, their own to a learner.
func (s *Service) ClassAttempts(ctx context.Context, classID, quizID uuid.UUID, f AttemptFilter, req page.Request) (page.Result[Attempt], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Attempt]{}, err
	}
	if f.State != "" && f.State != StateInProgress && f.State != StateSubmitted && f.State != StateGraded && f.State != StateNeedsGrading {
		return page.Result[Attempt]{}, apperr.Invalid("state", "status tidak dikenal", "unknown state")
	}
	if err := database.CheckCursor(req, database.KeyNone); err != nil {
		return page.Result[Attempt]{}, err
	}
	q, err := s.publishedQuiz(ctx, quizID)
	if err != nil {
		return page.Result[Attempt]{}, err
	}
	ca, err := s.classForQuiz(ctx, classID, q)
	if err != nil {
		return page.Result[Attempt]{}, err
	}
	switch {
	case ca.Staff:
	case ca.Learner && actor.MaySelf(authz.SelfLearn):
		f.UserID = actor.UserID
	default:
		return page.Result[Attempt]{}, authz.ErrForbidden
	}
	rows, err := s.store.listAttempts(ctx, classID, quizID, f, req)
	if err != nil {
		return page.Result[Attempt]{}, err
	}
	res := page.Build(rows, req.Limit, func(a Attempt) page.Position { return page.Position{ID: a.ID.String()} })
	if !ca.Staff {
		for i := range res.Items {
			v, _ := s.view(ctx, res.Items[i], true, q, ClassSettings{})
			if !v.ShowScore {
				res.Items[i].Score, res.Items[i].Passed = nil, nil
			}
		}
	}
	return res, nil
}

// PendingEssay is an essay of an attempt waiting for a grader.
type PendingEssay struct {
	AttemptID  uuid.UUID
	UserID     uuid.UUID
	Slot       int
	QuestionID uuid.UUID
	Points     float64
	Response   json.RawMessage
}

// GradingQueue lists the essays of a quiz in a class waiting for a grader,
// by slot then attempt; with questionID, those of one question across every
// attempt. The class's staff read it.
func (s *Service) GradingQueue(ctx context.Context, classID, quizID, questionID uuid.UUID, req page.Request) (page.Result[PendingEssay], error) {
	if err := database.CheckCursor(req, database.KeyText); err != nil {
		return page.Result[PendingEssay]{}, err
	}
	q, err := s.publishedQuiz(ctx, quizID)
	if err != nil {
		return page.Result[PendingEssay]{}, err
	}
	ca, err := s.classForQuiz(ctx, classID, q)
	if err != nil {
		return page.Result[PendingEssay]{}, err
	}
	if err := authz.Decide(true, ca.Staff, ErrQuizNotFound); err != nil {
		return page.Result[PendingEssay]{}, err
	}
	rows, err := s.store.pendingEssays(ctx, classID, quizID, questionID, req)
	if err != nil {
		return page.Result[PendingEssay]{}, err
	}
	return page.Build(rows, req.Limit, func(p PendingEssay) page.Position {
		return page.Position{Key: slotKey(p.Slot), ID: p.AttemptID.String()}
	}), nil
}

func slotKey(slot int) string { return fmt.Sprintf("%06d", slot) }
