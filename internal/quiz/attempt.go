package quiz

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// The states of an attempt.
const (
	StateInProgress   = "in_progress"
	StateSubmitted    = "submitted"
	StateGraded       = "graded"
	StateNeedsGrading = "needs_grading"
)

// Slot is one question of an attempt: the version it shows, the order of its
// options, the learner's latest answer with its seq, and its grade.
type Slot struct {
	Slot              int
	QuestionVersionID uuid.UUID
	Type              Type
	Points            float64
	OptionOrder       []string
	Response          json.RawMessage // nil before the first save
	Seq               int64
	SavedAt           *time.Time
	Score             *float64
	Comment           string
	Content           Content     // the version's content
	Media             []MediaLink // the stem's media, for a caller who sees the question
	KeyRevision       int         // of the version's key, when read with the slot
}

// Attempt is one sitting of a quiz by a learner of a class.
type Attempt struct {
	ID         uuid.UUID
	QuizID     uuid.UUID
	ClassID    uuid.UUID
	UserID     uuid.UUID
	Number     int
	State      string
	StartedAt  time.Time
	Deadline   *time.Time
	FinishedAt *time.Time
	Score      *float64
	MaxScore   float64
	Passed     *bool
	GradedAt   *time.Time
	Slots      []Slot
}

// AttemptView is an attempt as one caller may see it: what review allows a
// learner (or everything, for the class's staff).
type AttemptView struct {
	Attempt
	ShowScore    bool
	ShowAnswers  bool
	ShowFeedback bool
	Resumed      bool // Start returned the attempt already in progress
}

// publishedQuiz returns the quiz of an attempt, from the cache when it can.
func (s *Service) publishedQuiz(ctx context.Context, id uuid.UUID) (Quiz, error) {
	if q, ok := s.quizzes.Get(id); ok {
		return q, nil
	}
	q, err := s.store.quiz(ctx, id, false)
	if err != nil {
		return Quiz{}, err
	}
	s.quizzes.Put(id, q)
	return q, nil
}

// content returns a used question version's content, from the cache when it can.
func (s *Service) content(ctx context.Context, versionID uuid.UUID) (Content, error) {
	return s.contentAt(ctx, versionID, 0)
}

// contentAt returns a used question version's content with its key at
// revision rev or later: a cached content of an older key (corrected since
// in another process) is read again. rev 0 takes any key, for what does not
// depend on it (the stem and options a learner sees, an answer's shape).
func (s *Service) contentAt(ctx context.Context, versionID uuid.UUID, rev int) (Content, error) {
	if c, ok := s.versions.Get(versionID); ok && c.KeyRevision >= rev {
		return c, nil
	}
	m, err := s.store.versions(ctx, []uuid.UUID{versionID})
	if err != nil {
		return Content{}, err
	}
	c, ok := m[versionID]
	if !ok {
		return Content{}, ErrQuestionNotFound
	}
	s.versions.Put(versionID, c)
	return c, nil
}

// --- reading ---

// overdue reports whether an attempt in progress is past its deadline and grace.
func (s *Service) overdue(a Attempt, now time.Time) bool {
	return a.State == StateInProgress && a.Deadline != nil && now.After(a.Deadline.Add(s.grace))
}

// GetAttempt returns an attempt to its learner (as review allows) or to the
// class's staff; an attempt whose time ran out is closed first.
func (s *Service) GetAttempt(ctx context.Context, id uuid.UUID) (AttemptView, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return AttemptView{}, err
	}
	a, err := s.store.attempt(ctx, id, false)
	if err != nil {
		return AttemptView{}, err
	}
	own := a.UserID == actor.UserID && actor.MaySelf(authz.SelfLearn)
	if !own {
		ca, err := s.classes.ClassAccess(ctx, a.ClassID)
		if apperr.KindOf(err) == apperr.KindNotFound || err == nil && !ca.Staff {
			return AttemptView{}, ErrAttemptNotFound
		}
		if err != nil {
			return AttemptView{}, err
		}
	}
	if s.overdue(a, s.now()) {
		if err := s.close(ctx, a.ID); err != nil {
			return AttemptView{}, err
		}
		if a, err = s.store.attempt(ctx, id, false); err != nil {
			return AttemptView{}, err
		}
	}
	q, err := s.publishedQuiz(ctx, a.QuizID)
	if err != nil {
		return AttemptView{}, err
	}
	cs, err := s.store.classSettings(ctx, a.ClassID, a.QuizID)
	if err != nil {
		return AttemptView{}, err
	}
	slots, err := s.store.slots(ctx, a.ID)
	if err != nil {
		return AttemptView{}, err
	}
	for i := range slots {
		if slots[i].Content, err = s.contentAt(ctx, slots[i].QuestionVersionID, slots[i].KeyRevision); err != nil {
			return AttemptView{}, err
		}
	}
	a.Slots = slots
	return s.view(ctx, a, own, q, cs)
}

// view decides what the caller sees of an attempt: the questions with their
// media (the caller is its learner or the class's staff), and the score,
// key and feedback as review allows.
func (s *Service) view(ctx context.Context, a Attempt, learner bool, q Quiz, cs ClassSettings) (AttemptView, error) {
	if err := s.mediaLinks(ctx, a.Slots); err != nil {
		return AttemptView{}, err
	}
	v := AttemptView{Attempt: a}
	if !learner {
		v.ShowScore, v.ShowAnswers, v.ShowFeedback = true, true, true
		return v, nil
	}
	done := a.State == StateGraded
	closed := cs.ClosesAt != nil && !s.now().Before(*cs.ClosesAt)
	allows := func(rule string) bool {
		return done && (rule == ReviewImmediately || rule == ReviewAfterClose && closed)
	}
	v.ShowScore, v.ShowAnswers, v.ShowFeedback = allows(q.Review.Score), allows(q.Review.Answers), allows(q.Review.Feedback)
	return v, nil
}
