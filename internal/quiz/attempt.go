package quiz

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/queue"
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
	Content           Content // the version's content
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

// contents caches question versions an attempt used: they never change.
type contents struct {
	mu sync.RWMutex
	m  map[uuid.UUID]Content
}

func (c *contents) get(id uuid.UUID) (Content, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[id]
	return v, ok
}

func (c *contents) put(id uuid.UUID, v Content) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 20000 {
		c.m = map[uuid.UUID]Content{}
	}
	c.m[id] = v
}

var usedVersions contents

// publishedQuizzes caches the quizzes attempts are taken of: a quiz changes
// only while its course version is a draft, and classes (where attempts are
// taken) run published versions only.
var publishedQuizzes struct {
	sync.RWMutex
	m map[uuid.UUID]Quiz
}

// publishedQuiz returns the quiz of an attempt, from the cache when it can.
func (s *Service) publishedQuiz(ctx context.Context, id uuid.UUID) (Quiz, error) {
	publishedQuizzes.RLock()
	q, ok := publishedQuizzes.m[id]
	publishedQuizzes.RUnlock()
	if ok {
		return q, nil
	}
	q, err := s.store.quiz(ctx, id, false)
	if err != nil {
		return Quiz{}, err
	}
	publishedQuizzes.Lock()
	defer publishedQuizzes.Unlock()
	if publishedQuizzes.m == nil || len(publishedQuizzes.m) > 10000 {
		publishedQuizzes.m = map[uuid.UUID]Quiz{}
	}
	publishedQuizzes.m[id] = q
	return q, nil
}

// content returns a used question version's content, from the cache when it can.
func (s *Service) content(ctx context.Context, versionID uuid.UUID) (Content, error) {
	if c, ok := usedVersions.get(versionID); ok {
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
	usedVersions.put(versionID, c)
	return c, nil
}

// --- start ---

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
		usedVersions.put(sl.QuestionVersionID, sl.Content)
	}
	layouts.put(a.ID, layoutOf(a))
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
		if slots[i].Content, err = s.content(ctx, slots[i].QuestionVersionID); err != nil {
			return AttemptView{}, err
		}
	}
	a.Slots = slots
	return s.view(ctx, a, own, q, cs)
}

// view decides what the caller sees of an attempt.
func (s *Service) view(_ context.Context, a Attempt, learner bool, q Quiz, cs ClassSettings) (AttemptView, error) {
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

// --- saving ---

// SaveAnswer stores the caller's answer to a slot of their attempt if seq is
// newer than the stored one; an older seq changes nothing and is refused with
// the stored seq (the same seq again is a retry and succeeds). An answer of
// the wrong shape, to a slot the attempt lacks, or after the deadline and
// its grace writes nothing.
func (s *Service) SaveAnswer(ctx context.Context, attemptID uuid.UUID, slot int, seq int64, response json.RawMessage) (int64, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return 0, err
	}
	var v apperr.Validation
	v.Check(seq > 0 && seq <= 1<<53, "seq", "harus bilangan bulat positif", "must be a positive integer")
	v.Check(len(response) > 0 && string(response) != "null", "response", "wajib diisi", "is required")
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.now()
	// The fast path: the attempt's layout is known here, so one statement
	// checks the seq, the state and the deadline and writes.
	if l, ok := layouts.get(attemptID); ok && l.userID == actor.UserID && actor.MaySelf(authz.SelfLearn) &&
		slot >= 1 && slot <= len(l.versions) && (l.deadline == nil || !now.After(l.deadline.Add(s.grace))) {
		stored, err := s.prepare(ctx, l.versions[slot-1], response)
		if err != nil {
			return 0, err
		}
		saved, err := s.store.saveAnswer(ctx, attemptID, slot, seq, stored, s.grace)
		if err != nil || saved {
			return seq, err
		}
		return s.refused(ctx, attemptID, slot, seq)
	}
	st, err := s.store.slotState(ctx, attemptID, slot)
	if err != nil {
		return 0, err
	}
	if st.UserID != actor.UserID || !actor.MaySelf(authz.SelfLearn) {
		return 0, s.notOwner(ctx, st.ClassID)
	}
	if st.Missing {
		return 0, ErrSlotNotFound
	}
	if st.State != StateInProgress {
		return 0, ErrAttemptClosed
	}
	if st.Deadline != nil && now.After(st.Deadline.Add(s.grace)) {
		if err := s.close(ctx, attemptID); err != nil {
			return 0, err
		}
		return 0, ErrAttemptClosed
	}
	if err := s.learnLayout(ctx, attemptID, st); err != nil {
		return 0, err
	}
	response, err = s.prepare(ctx, st.VersionID, response)
	if err != nil {
		return 0, err
	}
	saved, err := s.store.saveAnswer(ctx, attemptID, slot, seq, response, s.grace)
	if err != nil {
		return 0, err
	}
	if saved {
		return seq, nil
	}
	return s.refused(ctx, attemptID, slot, seq)
}

// prepare checks an answer against its question version and returns what
// is stored: the answer as sent, an essay's text sanitized.
func (s *Service) prepare(ctx context.Context, versionID uuid.UUID, response json.RawMessage) (json.RawMessage, error) {
	c, err := s.content(ctx, versionID)
	if err != nil {
		return nil, err
	}
	r, err := ParseResponse(c, response)
	if err != nil {
		return nil, err
	}
	if c.Type == TypeEssay {
		// Keep the sanitized text, as it will be shown to the grader.
		return json.Marshal(map[string]string{"text": r.Text})
	}
	return response, nil
}

// refused explains a save that wrote nothing: the attempt is over (closing
// it when its time ran out), the same seq was saved before (a retry,
// acknowledged), or a newer seq is stored.
func (s *Service) refused(ctx context.Context, attemptID uuid.UUID, slot int, seq int64) (int64, error) {
	st, err := s.store.slotState(ctx, attemptID, slot)
	if err != nil {
		return 0, err
	}
	switch {
	case st.State == StateInProgress && st.Deadline != nil && s.now().After(st.Deadline.Add(s.grace)):
		if err := s.close(ctx, attemptID); err != nil {
			return 0, err
		}
		return 0, ErrAttemptClosed
	case st.State != StateInProgress:
		return 0, ErrAttemptClosed
	case st.Seq == seq:
		return seq, nil
	default:
		return 0, ErrStaleSeq.WithExtension("seq", st.Seq)
	}
}

// layout is what a save checks of an attempt and what never changes: its
// learner, its deadline and the question version of each slot.
type layout struct {
	userID   uuid.UUID
	deadline *time.Time
	versions []uuid.UUID // by slot - 1
}

type layoutCache struct {
	mu sync.RWMutex
	m  map[uuid.UUID]layout
}

func (c *layoutCache) get(id uuid.UUID) (layout, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	l, ok := c.m[id]
	return l, ok
}

func (c *layoutCache) put(id uuid.UUID, l layout) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 100000 {
		c.m = make(map[uuid.UUID]layout)
	}
	c.m[id] = l
}

// layouts are the layouts of the attempts this process started or saved to.
var layouts layoutCache

func layoutOf(a Attempt) layout {
	l := layout{userID: a.UserID, deadline: a.Deadline, versions: make([]uuid.UUID, len(a.Slots))}
	for i, sl := range a.Slots {
		l.versions[i] = sl.QuestionVersionID
	}
	return l
}

// learnLayout reads and caches an attempt's layout for the saves to come.
func (s *Service) learnLayout(ctx context.Context, attemptID uuid.UUID, st slotState) error {
	if _, ok := layouts.get(attemptID); ok {
		return nil
	}
	versions, err := s.store.slotVersions(ctx, attemptID)
	if err != nil {
		return err
	}
	layouts.put(attemptID, layout{userID: st.UserID, deadline: st.Deadline, versions: versions})
	return nil
}

// notOwner answers a caller who is not the attempt's learner: the class's
// staff see it and may not change it, everyone else does not find it.
func (s *Service) notOwner(ctx context.Context, classID uuid.UUID) error {
	ca, err := s.classes.ClassAccess(ctx, classID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return ErrAttemptNotFound
	}
	if err != nil {
		return err
	}
	return authz.Decide(ca.Staff, false, ErrAttemptNotFound)
}

// --- submitting and closing ---

// Submit ends the caller's attempt and queues its grading, in one
// transaction; submitting again returns the attempt as it is.
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
		if err := s.finish(ctx, attemptID, false); err != nil {
			return AttemptView{}, err
		}
	}
	return s.GetAttempt(ctx, attemptID)
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
		for _, id := range ids {
			if _, err := s.outbox.Add(ctx, newGradeAttemptJob(id)); err != nil {
				return err
			}
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
