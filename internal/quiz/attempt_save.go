package quiz

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

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
	if l, ok := s.layouts.Get(attemptID); ok && l.userID == actor.UserID && actor.MaySelf(authz.SelfLearn) &&
		slot >= 1 && slot <= len(l.versions) && (l.deadline == nil || !now.After(l.deadline.Add(s.grace))) {
		stored, err := s.prepare(ctx, l.versions[slot-1], response)
		if err != nil {
			return 0, err
		}
		saved, err := s.saves.Do(ctx, answerSave{attemptID, slot, seq, stored})
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
	saved, err := s.saves.Do(ctx, answerSave{attemptID, slot, seq, response})
	if err != nil {
		return 0, err
	}
	if saved {
		return seq, nil
	}
	return s.refused(ctx, attemptID, slot, seq)
}

// prepare checks an answer against its question version and returns what
// is stored: the answer as sent, an essay's text sanitized. An answer the
// database cannot store (invalid UTF-8, or a NUL, which jsonb refuses) is
// refused here: saves are written in batches, and one such answer would
// fail the saves of every learner in its batch.
func (s *Service) prepare(ctx context.Context, versionID uuid.UUID, response json.RawMessage) (json.RawMessage, error) {
	if !utf8.Valid(response) || bytes.Contains(response, []byte(`\u0000`)) {
		return nil, ErrResponseText
	}
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

func layoutOf(a Attempt) layout {
	l := layout{userID: a.UserID, deadline: a.Deadline, versions: make([]uuid.UUID, len(a.Slots))}
	for i, sl := range a.Slots {
		l.versions[i] = sl.QuestionVersionID
	}
	return l
}

// learnLayout reads and caches an attempt's layout for the saves to come.
func (s *Service) learnLayout(ctx context.Context, attemptID uuid.UUID, st slotState) error {
	if _, ok := s.layouts.Get(attemptID); ok {
		return nil
	}
	versions, err := s.store.slotVersions(ctx, attemptID)
	if err != nil {
		return err
	}
	s.layouts.Put(attemptID, layout{userID: st.UserID, deadline: st.Deadline, versions: versions})
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
