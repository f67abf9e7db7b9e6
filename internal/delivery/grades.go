package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// The gradebook is the one authority on the graded items of a class (its
// quizzes and assignments): a graded item counts as done for the completion
// rule exactly when the learner's gradebook result passes, whatever each
// item scored on its own. Delivery keeps the latest result it was told of
// (enrolment_grade_results) and evaluates completion when it changes; the
// other rules (items viewed, attendance threshold) hold as before, and JP
// are credited on completion as before.

// EventGradebookResultChanged is the gradebook's event of a learner's
// result (its TypeResultChanged), named here so that delivery need not
// import the gradebook.
const EventGradebookResultChanged = "gradebook:result-changed"

// ConsumerGradebookResult is delivery's consumer of
// EventGradebookResultChanged.
const ConsumerGradebookResult = "delivery.gradebook-result"

// gradebookResultPayload is what delivery reads of
// EventGradebookResultChanged.
type gradebookResultPayload struct {
	ClassID      uuid.UUID `json:"class_id"`
	UserID       uuid.UUID `json:"user_id"`
	FinalPercent *float64  `json:"final_percent"`
	Passed       bool      `json:"passed"`
	Revision     int64     `json:"revision"`
}

// GradeResult is the gradebook's verdict on a learner in a class.
type GradeResult struct {
	Passed       bool
	FinalPercent *float64
	// Revision orders results: an older one arriving late changes nothing.
	Revision int64
}

// graded reports whether an item is graded by the gradebook.
func graded(item CourseItem) bool {
	return item.Kind == ItemQuiz || item.Kind == ItemAssignment
}

// HandleGradebookResults records learners' gradebook results on their
// enrolments and evaluates their completion, the events of a batch
// together: the enrolments of one class are locked in one statement and
// the class and its course version read once, as an exam's results come. Of
// two results of one learner the newer revision is kept; a learner no
// longer enrolled has nothing to complete. Subscribed on the bus in
// batches, it runs in the transaction that records them done.
func (s *Service) HandleGradebookResults(ctx context.Context, events []queue.BatchedJob) error {
	results := map[uuid.UUID]map[uuid.UUID]GradeResult{} // by class, by learner
	var classes []uuid.UUID
	for _, e := range events {
		var p gradebookResultPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			return fmt.Errorf("decode event %s: %v: %w", e.ID, err, asynq.SkipRetry)
		}
		if results[p.ClassID] == nil {
			results[p.ClassID] = map[uuid.UUID]GradeResult{}
			classes = append(classes, p.ClassID)
		}
		r := GradeResult{Passed: p.Passed, FinalPercent: p.FinalPercent, Revision: p.Revision}
		if kept, ok := results[p.ClassID][p.UserID]; !ok || kept.Revision < r.Revision {
			results[p.ClassID][p.UserID] = r
		}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, classID := range classes {
			if err := s.recordClassResults(ctx, classID, results[classID]); err != nil {
				return err
			}
		}
		return nil
	})
}

// recordClassResults records the results of learners of one class, in the
// caller's transaction.
func (s *Service) recordClassResults(ctx context.Context, classID uuid.UUID, results map[uuid.UUID]GradeResult) error {
	userIDs := slices.Collect(maps.Keys(results))
	live, err := s.store.liveEnrolments(ctx, classID, userIDs)
	if err != nil || len(live) == 0 {
		return err
	}
	ids := make([]uuid.UUID, 0, len(live))
	for _, e := range live {
		ids = append(ids, e.ID)
	}
	locked, err := s.store.lockEnrolments(ctx, ids)
	if err != nil {
		return err
	}
	var changed []Enrolment
	for _, id := range ids {
		e, ok := locked[id]
		if !ok {
			continue
		}
		r := results[e.UserID]
		saved, err := s.store.saveGradeResult(ctx, gradeResultRow{EnrolmentID: e.ID, Passed: r.Passed, FinalPercent: r.FinalPercent,
			Revision: r.Revision, UpdatedAt: s.now()})
		if err != nil {
			return err
		}
		if saved {
			changed = append(changed, e)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	a, err := s.loadClass(ctx, classID, nil)
	if err != nil {
		return err
	}
	version, err := s.version(ctx, a.class)
	if errors.Is(err, ErrCourseUnavailable) {
		return nil // kept; completion waits for the course to be offered again
	}
	if err != nil {
		return err
	}
	for _, e := range changed {
		if !e.Status.Learning() {
			continue
		}
		st, err := s.standingOf(ctx, e)
		if err != nil {
			return err
		}
		if _, err := s.evaluateWith(ctx, e, a, version, st); err != nil {
			return err
		}
	}
	return nil
}

// ClassFacts returns a class with its staff, without authorizing anyone and
// without counting its seats (SeatsTaken is 0): for work done on its behalf
// (the gradebook's tasks) and for the checks of every exam request, where
// counting a national class's 20,000 enrolments each time would cost more
// than the request.
func (s *Service) ClassFacts(ctx context.Context, id uuid.UUID) (Class, error) {
	return s.store.classWithoutSeats(ctx, id)
}

// Learns reports whether a user is an active or completed learner of a
// class, without authorizing anyone.
func (s *Service) Learns(ctx context.Context, classID, userID uuid.UUID) (bool, error) {
	e, err := s.store.liveEnrolment(ctx, classID, userID)
	if errors.Is(err, ErrEnrolmentNotFound) {
		return false, nil
	}
	return err == nil && (e.Status == EnrolmentActive || e.Status == EnrolmentCompleted), err
}

// TypeAttendanceChanged is the event recorded, in the transaction of a
// check-in or roll call, with the attendance of the learners it changed:
// the gradebook keeps it as the class's attendance grade.
const TypeAttendanceChanged = "delivery:attendance-changed"

// AttendanceChangedPayload is the payload of TypeAttendanceChanged.
type AttendanceChangedPayload struct {
	ClassID  uuid.UUID         `json:"class_id"`
	Learners []AttendanceTally `json:"learners"`
	At       time.Time         `json:"at"`
}

// AttendanceTally is one learner's sessions attended (present or excused)
// out of the class's sessions taking attendance.
type AttendanceTally struct {
	UserID   uuid.UUID `json:"user_id"`
	Attended int       `json:"attended"`
	Total    int       `json:"total"`
}

// attendanceChanged records TypeAttendanceChanged for learners of a class.
func (s *Service) attendanceChanged(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) error {
	tallies, err := s.store.attendanceTallies(ctx, classID, userIDs)
	if err != nil {
		return err
	}
	p := AttendanceChangedPayload{ClassID: classID, At: s.now(), Learners: make([]AttendanceTally, 0, len(userIDs))}
	for _, u := range userIDs {
		t := tallies[u]
		p.Learners = append(p.Learners, AttendanceTally{UserID: u, Attended: t.attended, Total: t.total})
	}
	_, err = s.outbox.Add(ctx, queue.Job{Type: TypeAttendanceChanged, Queue: queue.Default, Payload: p})
	return err
}

// sessionsChanged records TypeAttendanceChanged for every learner of a
// class when a session taking attendance was added, removed or changed
// kind: the sessions counted changed for all of them.
func (s *Service) sessionsChanged(ctx context.Context, classID uuid.UUID, kinds ...SessionKind) error {
	if !slices.ContainsFunc(kinds, SessionKind.TakesAttendance) {
		return nil
	}
	learners, err := s.store.learnerIDs(ctx, classID)
	if err != nil || len(learners) == 0 {
		return err
	}
	return s.attendanceChanged(ctx, classID, learners)
}

// learnerIDs lists the users active in or completed a class.
func (s store) learnerIDs(ctx context.Context, classID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Raw("SELECT user_id FROM enrolments WHERE class_id = ? AND status IN ('active', 'completed') ORDER BY user_id", classID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("list learners of class: %w", err)
	}
	return ids, nil
}

type gradeResultRow struct {
	EnrolmentID  uuid.UUID `gorm:"primaryKey"`
	Passed       bool
	FinalPercent *float64
	Revision     int64
	UpdatedAt    time.Time
}

func (gradeResultRow) TableName() string { return "enrolment_grade_results" }

// saveGradeResult keeps a result unless a later one is kept; it reports
// whether the pass/fail kept changed.
func (s store) saveGradeResult(ctx context.Context, r gradeResultRow) (bool, error) {
	before, err := s.gradePassed(ctx, []uuid.UUID{r.EnrolmentID})
	if err != nil {
		return false, err
	}
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "enrolment_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"passed", "final_percent", "revision", "updated_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "enrolment_grade_results.revision < excluded.revision"}}},
	}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("save grade result: %w", res.Error)
	}
	was, known := before[r.EnrolmentID]
	return res.RowsAffected > 0 && (!known || was != r.Passed), nil
}

// gradePassed reads the gradebook's pass/fail of enrolments; an enrolment
// the gradebook never judged is absent.
func (s store) gradePassed(ctx context.Context, enrolmentIDs []uuid.UUID) (map[uuid.UUID]bool, error) {
	var rows []gradeResultRow
	if err := s.db.Conn(ctx).Where("enrolment_id = ANY(?::uuid[])", database.UUIDArray(enrolmentIDs)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read grade results: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(rows))
	for _, r := range rows {
		out[r.EnrolmentID] = r.Passed
	}
	return out, nil
}
