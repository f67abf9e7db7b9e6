package gradebook

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeResultChanged is the event recorded, in the transaction that changes
// it, when a learner's final grade or pass/fail in a class changes.
// Delivery's completion rule reads the pass/fail from it: the gradebook is
// the one authority on whether a learner passed the graded items.
const TypeResultChanged = "gradebook:result-changed"

// ResultChangedPayload is the payload of TypeResultChanged.
type ResultChangedPayload struct {
	ClassID      uuid.UUID `json:"class_id"`
	UserID       uuid.UUID `json:"user_id"`
	FinalPercent *float64  `json:"final_percent"`
	Passed       bool      `json:"passed"`
	// Revision orders a learner's results in a class (it counts the
	// recomputes of their row): a consumer keeps the highest.
	Revision int64 `json:"revision"`
}

// TypeRecomputeClass is the outbox job that recomputes every row of a
// class too large to recompute in the request that changed its settings.
const TypeRecomputeClass = "gradebook:recompute-class"

// RecomputeClassPayload is the payload of TypeRecomputeClass.
type RecomputeClassPayload struct {
	ClassID uuid.UUID `json:"class_id"`
}

// RecordGrade keeps a learner's grade for an item of a class (unless a
// later grade is kept already) and recomputes their row, in the transaction
// carried by ctx or one of its own. A grade for an item the class's version
// does not have is kept and counts nowhere until the settings name it.
func (s *Service) RecordGrade(ctx context.Context, classID, userID uuid.UUID, g Grade) error {
	if math.IsNaN(g.Percent) || math.IsInf(g.Percent, 0) {
		return fmt.Errorf("grade of %s for %s is not a number", userID, g.Item)
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.classes.GradedClass(ctx, classID)
		if err != nil {
			return err
		}
		if err := s.store.lockLearner(ctx, classID, userID); err != nil {
			return err
		}
		changed, err := s.store.saveGrade(ctx, gradeRow{ClassID: classID, UserID: userID, Item: g.Item, Kind: g.Kind,
			Percent: round3(g.Percent), Passed: g.Passed, ReleasedAt: g.ReleasedAt.UTC()})
		if err != nil || !changed {
			return err
		}
		st, err := s.store.settings(ctx, classID)
		if err != nil {
			return err
		}
		return s.recompute(ctx, c, st, []uuid.UUID{userID})
	})
}

// RecordGrades keeps the grades of many learners of a class for one item
// (each unless a later one is kept) and recomputes their rows, in one
// transaction: a roll call's attendance, an exam's graded attempts.
func (s *Service) RecordGrades(ctx context.Context, classID uuid.UUID, grades map[uuid.UUID]Grade) error {
	if len(grades) == 0 {
		return nil
	}
	userIDs := make([]uuid.UUID, 0, len(grades))
	for u, g := range grades {
		if math.IsNaN(g.Percent) || math.IsInf(g.Percent, 0) {
			return fmt.Errorf("grade of %s for %s is not a number", u, g.Item)
		}
		userIDs = append(userIDs, u)
	}
	// locked in one order, so two batches never wait on each other in a cycle
	slices.SortFunc(userIDs, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.classes.GradedClass(ctx, classID)
		if err != nil {
			return err
		}
		if err := s.store.lockLearners(ctx, classID, userIDs); err != nil {
			return err
		}
		rows := make([]gradeRow, 0, len(userIDs))
		for _, u := range userIDs {
			g := grades[u]
			rows = append(rows, gradeRow{ClassID: classID, UserID: u, Item: g.Item, Kind: g.Kind, Percent: round3(g.Percent),
				Passed: g.Passed, ReleasedAt: g.ReleasedAt.UTC()})
		}
		if err := s.store.saveGrades(ctx, rows); err != nil {
			return err
		}
		st, err := s.store.settings(ctx, classID)
		if err != nil {
			return err
		}
		return s.recompute(ctx, c, st, userIDs)
	})
}

// recompute computes the rows of learners of a class (every learner with a
// grade when userIDs is nil), saves them and announces each changed result.
// The caller holds the learners' locks, or the class's for all of them.
func (s *Service) recompute(ctx context.Context, c Class, st Settings, userIDs []uuid.UUID) error {
	if userIDs == nil {
		var err error
		if userIDs, err = s.store.learners(ctx, c.ClassID); err != nil {
			return err
		}
	}
	if len(userIDs) == 0 {
		return nil
	}
	some := userIDsOrAll(userIDs, len(userIDs) > s.inline)
	grades, overrides, err := s.store.learnerGrades(ctx, c.ClassID, some)
	if err != nil {
		return err
	}
	before, err := s.store.heads(ctx, c.ClassID, some)
	if err != nil {
		return err
	}
	now := s.now()
	rows := make([]Row, 0, len(userIDs))
	for _, u := range userIDs {
		r := compute(c.Items, st, grades[u], overrides[u])
		r.ClassID, r.UserID, r.ComputedAt, r.Seq = c.ClassID, u, now, before[u].Seq+1
		rows = append(rows, r)
	}
	if err := s.store.saveResults(ctx, rows); err != nil {
		return err
	}
	for _, r := range rows {
		if old, ok := before[r.UserID]; ok && sameResult(old, r) {
			continue
		}
		if _, err := s.outbox.Add(ctx, queue.Job{Type: TypeResultChanged, Queue: queue.Default, Payload: ResultChangedPayload{
			ClassID: c.ClassID, UserID: r.UserID, FinalPercent: r.FinalPercent, Passed: r.Passed, Revision: r.Seq}}); err != nil {
			return err
		}
	}
	return nil
}

// userIDsOrAll returns nil (read the whole class) when the learners are
// many: one scan of the class beats a long list of ids.
func userIDsOrAll(userIDs []uuid.UUID, many bool) []uuid.UUID {
	if many {
		return nil
	}
	return userIDs
}

// RecomputeClass recomputes every row of a class, under the class's lock.
func (s *Service) RecomputeClass(ctx context.Context, classID uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.classes.GradedClass(ctx, classID)
		if err != nil {
			return err
		}
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		st, err := s.store.settings(ctx, classID)
		if err != nil {
			return err
		}
		return s.recompute(ctx, c, st, nil)
	})
}

// releasedAt is when an event's grade was released: the time in the id of
// the outbox row that carried it (a UUIDv7), or now when there is none (a
// handler called directly).
func (s *Service) releasedAt(ctx context.Context) time.Time {
	id, err := queue.EventID(ctx)
	if err != nil {
		return s.now()
	}
	return s.releasedAtOf(id)
}

// releasedAtOf is when the event with this id was recorded (a version 7
// id's time), or now for an id without a time.
func (s *Service) releasedAtOf(eventID uuid.UUID) time.Time {
	if eventID.Version() == 7 {
		sec, nsec := eventID.Time().UnixTime()
		return time.Unix(sec, nsec).UTC()
	}
	return s.now()
}
