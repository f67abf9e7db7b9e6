package quiz

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

// Start begins an attempt of a quiz for the caller, a learner of the class
// (at most MaxConcurrentStarts at once per process; the excess waits a
// moment, then gets ErrStartBusy with Retry-After):
// the layout (question versions, their order and each one's option order) is
// built and frozen in one short transaction; the deadline is the server's
// start plus the time limit, or the window's close if sooner. An attempt
// already in progress is returned instead (Resumed) so that a retried start
// starts nothing twice; a start beyond the allowed attempts writes nothing.
func (s *Service) Start(ctx context.Context, quizID, classID uuid.UUID) (AttemptView, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return AttemptView{}, err
	}
	wait := time.NewTimer(startQueueWait)
	defer wait.Stop()
	select {
	case s.starts <- struct{}{}:
		defer func() { <-s.starts }()
	case <-wait.C:
		return AttemptView{}, ErrStartBusy
	case <-ctx.Done():
		return AttemptView{}, ErrStartBusy
	}
	q, err := s.publishedQuiz(ctx, quizID)
	if err != nil {
		return AttemptView{}, err
	}
	ca, err := s.classForQuiz(ctx, classID, q)
	if err != nil {
		return AttemptView{}, err
	}
	if !ca.Learner || !actor.MaySelf(authz.SelfLearn) {
		return AttemptView{}, authz.ErrForbidden
	}
	cs, err := s.store.classSettings(ctx, classID, quizID)
	if err != nil {
		return AttemptView{}, err
	}
	now := s.now()
	if cs.OpensAt != nil && now.Before(*cs.OpensAt) || cs.ClosesAt != nil && !now.Before(*cs.ClosesAt) {
		return AttemptView{}, ErrQuizClosed
	}
	if open, err := s.store.openAttempt(ctx, quizID, classID, actor.UserID); err != nil {
		return AttemptView{}, err
	} else if open != nil {
		if !s.overdue(*open, now) {
			v, err := s.view(ctx, *open, true, q, cs)
			v.Resumed = true
			return v, err
		}
		if err := s.close(ctx, open.ID); err != nil {
			return AttemptView{}, err
		}
	}
	extra, err := s.store.extraAttempts(ctx, classID, quizID, actor.UserID)
	if err != nil {
		return AttemptView{}, err
	}
	slots, err := s.layout(ctx, q)
	if err != nil {
		return AttemptView{}, err
	}
	a := Attempt{ID: newID(), QuizID: quizID, ClassID: classID, UserID: actor.UserID, State: StateInProgress,
		StartedAt: now, Slots: slots}
	limit := q.TimeLimitSeconds
	if cs.TimeLimitSeconds != nil {
		limit = cs.TimeLimitSeconds
	}
	if limit != nil {
		d := now.Add(time.Duration(*limit) * time.Second)
		a.Deadline = &d
	}
	if cs.ClosesAt != nil && (a.Deadline == nil || cs.ClosesAt.Before(*a.Deadline)) {
		d := *cs.ClosesAt
		a.Deadline = &d
	}
	for _, sl := range slots {
		a.MaxScore += sl.Points
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		used, err := s.store.countAttempts(ctx, quizID, classID, actor.UserID)
		if err != nil {
			return err
		}
		if q.AttemptsAllowed > 0 && used >= q.AttemptsAllowed+extra {
			return ErrNoAttemptsLeft
		}
		a.Number = used + 1
		return s.store.createAttempt(ctx, a)
	})
	if err != nil {
		return AttemptView{}, err
	}
	for _, sl := range slots {
		s.versions.put(sl.QuestionVersionID, sl.Content)
	}
	s.layouts.put(a.ID, layoutOf(a))
	return s.view(ctx, a, true, q, cs)
}

// layout draws an attempt's questions: fixed ones and random draws, in
// section order (shuffled within the quiz when it says so), each with its
// options' order (ordering questions are always shuffled: their author's
// order is the answer).
func (s *Service) layout(ctx context.Context, q Quiz) ([]Slot, error) {
	type pick struct {
		id     uuid.UUID
		points *float64
	}
	var picks []pick
	seen := map[uuid.UUID]bool{}
	for _, sec := range q.Sections {
		var part []pick
		for _, sq := range sec.Questions {
			part = append(part, pick{sq.QuestionID, sq.Points})
		}
		if d := sec.Draw; d != nil {
			ids, err := s.store.drawIDs(ctx, d.BankID, d.CategoryID, d.Tag)
			if err != nil {
				return nil, err
			}
			n := 0
			for _, id := range shuffled(ids) {
				if n == d.Count {
					break
				}
				if !seen[id] {
					part = append(part, pick{id, d.Points})
					n++
				}
			}
		}
		for _, p := range part {
			seen[p.id] = true
		}
		picks = append(picks, part...)
	}
	if q.ShuffleQuestions {
		picks = shuffled(picks)
	}
	ids := make([]uuid.UUID, len(picks))
	for i, p := range picks {
		ids[i] = p.id
	}
	qs, err := s.store.questionsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	var slots []Slot
	for _, p := range picks {
		question, ok := qs[p.id]
		if !ok { // archived since the quiz named it
			continue
		}
		c := question.Content
		points := c.Points
		if p.points != nil && c.Type.Graded() {
			points = *p.points
		}
		order := c.OptionIDs()
		if c.Type == TypeOrdering || q.ShuffleOptions && (c.Type == TypeSingleChoice || c.Type == TypeMultipleChoice || c.Type == TypeMatching) {
			order = shuffled(order)
		}
		slots = append(slots, Slot{Slot: len(slots) + 1, QuestionVersionID: question.VersionID, Type: c.Type, Points: points,
			OptionOrder: order, Content: c})
	}
	if len(slots) == 0 {
		return nil, ErrQuizEmpty
	}
	return slots, nil
}
