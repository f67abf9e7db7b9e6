package quiz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
)

// A key fix and a regrade, as Moodle does them: a wrong key of a question
// that attempts used is corrected in the very version those attempts show
// (the stem, options, prompts, unit names and points stay as the learners
// saw them; only what grades changes), and the quiz's staff regrade the
// attempts with the corrected key in a job. A change of what learners see
// is an edit instead, which makes a new version for attempts to come and
// leaves the past ones as they were graded.

// KeyFix is the outcome of a key correction.
type KeyFix struct {
	QuestionID  uuid.UUID
	VersionID   uuid.UUID
	Number      int
	KeyRevision int
	Content     Content
}

// ErrKeyFixChangesView refuses a key fix that would change what learners saw.
var ErrKeyFixChangesView = apperr.Invalid("body",
	"perbaikan kunci hanya boleh mengubah kunci jawaban (bobot, jawaban benar, toleransi, pasangan); teks soal, pilihan dan satuan harus tetap — ubah soalnya untuk membuat versi baru",
	"a key fix may change only the answer key (weights, the right answer, tolerances, pairs); the stem, options and units must stay as they are — edit the question to make a new version")

// FixKey corrects the answer key of version number of a question in place,
// for the bank's authors: attempts that showed the version keep showing it
// and are graded with the corrected key from now on; a regrade
// (StartRegrade) applies it to those already graded.
func (s *Service) FixKey(ctx context.Context, bankID, questionID uuid.UUID, number int, body Body) (KeyFix, error) {
	var out KeyFix
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, bankID)
		if err != nil {
			return err
		}
		if _, err := s.store.question(ctx, bankID, questionID, false); err != nil {
			return err
		}
		versionID, before, err := s.store.version(ctx, questionID, number, true)
		if err != nil {
			return err
		}
		if !before.Type.AutoGraded() {
			return apperr.Invalid("type", "soal ini tidak dinilai otomatis; tidak ada kunci yang diperbaiki",
				"the question is not auto-graded; it has no key to fix")
		}
		after := before
		after.Body = body
		after.Normalize()
		after.Media, after.Stem, after.Feedback = before.Media, before.Stem, before.Feedback
		if err := after.Validate(); err != nil {
			return err
		}
		if !reflect.DeepEqual(face(before), face(after)) {
			return ErrKeyFixChangesView
		}
		rev, err := s.store.fixKey(ctx, versionID, after.Body)
		if err != nil {
			return err
		}
		after.KeyRevision = rev
		out = KeyFix{QuestionID: questionID, VersionID: versionID, Number: number, KeyRevision: rev, Content: after}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question.fix_key", "question_version", versionID,
			map[string]any{"key_revision": before.KeyRevision, "body": before.Body},
			map[string]any{"key_revision": rev, "body": after.Body}))
	})
	if err != nil {
		return KeyFix{}, err
	}
	s.versions.Put(out.VersionID, out.Content)
	return out, nil
}

// face is what learners see of a question whatever the order of its
// options, which attempts keep in their slots (the author's order of an
// ordering question is its key).
func face(c Content) LearnerView {
	v := c.View(nil)
	slices.SortFunc(v.Options, func(a, b LearnerOption) int { return strings.Compare(a.ID, b.ID) })
	return v
}

// JobKindRegrade is the kind of a quiz regrade job.
const JobKindRegrade = "quiz_regrade"

// TypeRegrade is the outbox job that regrades a quiz's attempts.
const TypeRegrade = "quiz:regrade"

// RegradePayload is the payload of TypeRegrade.
type RegradePayload struct {
	JobID uuid.UUID `json:"job_id"`
}

type regradeParams struct {
	QuizID      uuid.UUID   `json:"quiz_id"`
	QuestionIDs []uuid.UUID `json:"question_ids,omitempty"`
}

// RegradeResult is a regrade job's result: the attempts regraded (every
// graded or needs-grading attempt of the quiz that showed the questions)
// and those whose score changed.
type RegradeResult struct {
	Regraded int `json:"regraded"`
	Changed  int `json:"changed"`
}

// maxRegradeQuestions bounds the questions one regrade names.
const maxRegradeQuestions = 200

// StartRegrade queues a regrade of a quiz's finished attempts with the
// current keys of their question versions, for the authors of the course
// the quiz belongs to; questionIDs narrows it to attempts that showed those
// questions (none: every attempt).
func (s *Service) StartRegrade(ctx context.Context, quizID uuid.UUID, questionIDs []uuid.UUID) (job.Job, error) {
	sc, err := s.quizScope(ctx, quizID)
	if err != nil {
		return job.Job{}, err
	}
	if err := authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseAuthor, sc.path), ErrQuizNotFound); err != nil {
		return job.Job{}, err
	}
	if _, err := s.store.quiz(ctx, quizID, false); err != nil {
		return job.Job{}, err
	}
	var v apperr.Validation
	v.Check(len(questionIDs) <= maxRegradeQuestions, "question_ids", "paling banyak 200 soal", "must name at most 200 questions")
	seen := map[uuid.UUID]bool{}
	for i, id := range questionIDs {
		v.Check(id != uuid.Nil && !seen[id], fmt.Sprintf("question_ids[%d]", i), "harus id soal yang berbeda", "must be distinct question ids")
		seen[id] = true
	}
	if err := v.Err(); err != nil {
		return job.Job{}, err
	}
	if s.jobs == nil {
		return job.Job{}, errors.New("quiz: jobs are not configured")
	}
	var j job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		j, err = s.jobs.Create(ctx, JobKindRegrade, authz.CourseAuthor, sc.item.OrgID, regradeParams{QuizID: quizID, QuestionIDs: questionIDs})
		if err != nil {
			return err
		}
		if _, err := s.outbox.Add(ctx, queue.Job{Type: TypeRegrade, Queue: queue.Low, Payload: RegradePayload{JobID: j.ID}}); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("quiz.regrade", nil, map[string]any{"job_id": j.ID, "question_ids": questionIDs}))
	})
	return j, err
}

// regradeBatch is how many attempts one transaction of a regrade takes.
const regradeBatch = 200

// HandleRegrade runs a regrade job (registered with its own transactions):
// batch by batch, each attempt is graded again with the current keys; an
// attempt whose scores do not change is left alone, one whose scores do is
// graded anew and, when graded, announced again (quiz:attempt-graded), so
// the gradebook and completion follow. A duplicate task of a job already
// over does nothing; a task run again after a crash changes only what is
// still different, so nothing changes twice and no event is sent twice.
func (s *Service) HandleRegrade(ctx context.Context, t *asynq.Task) error {
	var p RegradePayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	j, ok, err := job.BeginTask(ctx, s.jobs, TypeRegrade, p.JobID)
	if !ok {
		return err
	}
	var params regradeParams
	if err := json.Unmarshal(j.Params, &params); err != nil {
		return s.jobs.Fail(ctx, j.ID, "invalid job parameters")
	}
	res, err := s.Regrade(ctx, j.ID, params.QuizID, params.QuestionIDs)
	if errors.Is(err, job.ErrCancelled) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.jobs.Succeed(ctx, j.ID, res, "", "")
}

// Regrade grades again the finished attempts of a quiz (those that showed
// questionIDs, when given), reporting progress on jobID when it is set.
func (s *Service) Regrade(ctx context.Context, jobID, quizID uuid.UUID, questionIDs []uuid.UUID) (RegradeResult, error) {
	ids, err := s.store.regradeAttempts(ctx, quizID, questionIDs)
	if err != nil {
		return RegradeResult{}, err
	}
	res := RegradeResult{}
	for from := 0; from < len(ids); from += regradeBatch {
		batch := ids[from:min(from+regradeBatch, len(ids))]
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			for _, id := range batch {
				regraded, changed, err := s.regradeAttempt(ctx, id)
				if err != nil {
					return err
				}
				if regraded {
					res.Regraded++
				}
				if changed {
					res.Changed++
				}
			}
			if jobID != uuid.Nil {
				return s.jobs.Progress(ctx, jobID, from+len(batch), len(ids))
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// regradeAttempt grades one finished attempt again with the current keys,
// its row locked; it writes and announces only a change.
func (s *Service) regradeAttempt(ctx context.Context, id uuid.UUID) (regraded, changed bool, err error) {
	a, slots, err := s.store.attemptForGrading(ctx, id)
	if errors.Is(err, ErrAttemptNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if a.State != StateGraded && a.State != StateNeedsGrading {
		return false, false, nil // graded by the worker, with the current keys
	}
	nums, scores, err := s.autoScores(ctx, slots, true)
	if err != nil {
		return true, false, err
	}
	if len(nums) == 0 {
		return true, false, nil
	}
	return true, true, s.settle(ctx, a, slots, nums, scores)
}

type keyFixResponse struct {
	QuestionID  uuid.UUID `json:"question_id"`
	VersionID   uuid.UUID `json:"version_id"`
	Version     int       `json:"version"`
	KeyRevision int       `json:"key_revision"`
	Type        Type      `json:"type"`
	Body
}

func (h *Handler) fixKey(c echo.Context) error {
	bankID, questionID, err := questionIDs(c)
	if err != nil {
		return err
	}
	number, err := strconv.Atoi(c.Param("number"))
	if err != nil || number < 1 {
		return ErrQuestionNotFound
	}
	var body Body
	if err := web.Bind(c, &body); err != nil {
		return err
	}
	fix, err := h.svc.FixKey(c.Request().Context(), bankID, questionID, number, body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keyFixResponse{QuestionID: fix.QuestionID, VersionID: fix.VersionID, Version: fix.Number,
		KeyRevision: fix.KeyRevision, Type: fix.Content.Type, Body: fix.Content.Body})
}

func (h *Handler) startRegrade(c echo.Context) error {
	id, err := web.PathID(c, "quiz_id", ErrQuizNotFound)
	if err != nil {
		return err
	}
	var req struct {
		QuestionIDs []uuid.UUID `json:"question_ids"`
	}
	if c.Request().ContentLength != 0 {
		if err := web.Bind(c, &req); err != nil {
			return err
		}
	}
	j, err := h.svc.StartRegrade(c.Request().Context(), id, req.QuestionIDs)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, job.Location(j.ID))
	return c.JSON(http.StatusAccepted, job.NewResponse(j))
}
