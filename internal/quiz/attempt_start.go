package quiz

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

// Start begins an attempt of a quiz for the caller, a learner of the class
// (at most MaxConcurrentStarts at once per process; the excess waits a
// moment, then gets ErrStartBusy with a Retry-After that grows with the
// crowd turned away):
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
	release, retryAfter := s.starts.Enter(ctx)
	if release == nil {
		return AttemptView{}, ErrStartBusy.WithRetryAfter(retryAfter)
	}
	defer release()
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
	// The class's window, the learner's extra attempts and whether they
	// have an attempt open, in one round trip.
	cs, extra, openID, err := s.store.startFacts(ctx, classID, quizID, actor.UserID)
	if err != nil {
		return AttemptView{}, err
	}
	now := s.now()
	if cs.OpensAt != nil && now.Before(*cs.OpensAt) || cs.ClosesAt != nil && !now.Before(*cs.ClosesAt) {
		return AttemptView{}, ErrQuizClosed
	}
	var open *Attempt
	if openID != nil {
		if open, err = s.store.openAttempt(ctx, quizID, classID, actor.UserID); err != nil {
			return AttemptView{}, err
		}
	}
	if open != nil {
		if !s.overdue(*open, now) {
			v, err := s.view(ctx, *open, true, q, cs)
			v.Resumed = true
			return v, err
		}
		if err := s.close(ctx, open.ID); err != nil {
			return AttemptView{}, err
		}
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
	allowed := 0
	if q.AttemptsAllowed > 0 {
		allowed = q.AttemptsAllowed + extra
	}
	// One statement counts the learner's attempts, numbers this one and
	// writes it with its slots; two starts at once take the same number and
	// the unique key turns the second away.
	if a.Number, err = s.store.createAttempt(ctx, a, allowed); err != nil {
		return AttemptView{}, err
	}
	for _, sl := range slots {
		s.versions.Put(sl.QuestionVersionID, sl.Content)
	}
	s.layouts.Put(a.ID, layoutOf(a))
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
	qs, err := s.startQuestions(ctx, ids)
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

// questionFreshness is how long a start may use a question read by another
// start: a burst of learners starting together reads its questions once a
// second instead of once each; an edit reaches the starts of the next second.
const questionFreshness = time.Second

// startQuestions returns the live questions of ids with their current
// versions, as read within the last questionFreshness.
func (s *Service) startQuestions(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Question, error) {
	out := make(map[uuid.UUID]Question, len(ids))
	var missing []uuid.UUID
	for _, id := range ids {
		if q, ok := s.fresh.Get(id); ok {
			if q.ID != uuid.Nil { // the zero Question: archived or gone when read
				out[id] = q
			}
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	read, err := s.store.questionsByID(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, id := range missing {
		q := read[id]
		s.fresh.Put(id, q)
		if q.ID != uuid.Nil {
			out[id] = q
		}
	}
	return out, nil
}
