package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeGraded is the event recorded when a grade is released to a learner,
// and again when a released grade changes: one per learner (a group's grade
// once per member). The gradebook consumes it.
const TypeGraded = "assignment:graded"

// GradedPayload is the payload of TypeGraded.
type GradedPayload struct {
	SubmissionID uuid.UUID `json:"submission_id"`
	AssignmentID uuid.UUID `json:"assignment_id"` // the course item id
	ClassID      uuid.UUID `json:"class_id"`
	UserID       uuid.UUID `json:"user_id"`
	Points       float64   `json:"points"` // after late penalty and peer weight
	MaxPoints    float64   `json:"max_points"`
	ReleasedAt   time.Time `json:"released_at"`
}

// Result is what a learner or group has been given for an assignment.
type Result struct {
	ClassID, AssignmentID, OwnerID, SubmissionID uuid.UUID
	Points, MaxPoints                            float64
	ReleasedAt                                   time.Time
}

// ReleaseSummary says what a release did.
type ReleaseSummary struct {
	Released  int // results released or changed now
	Unchanged int // released before, as they are
	Pending   int // latest versions without a grade that counts
}

// Release releases the grades of a class's assignment: every learner's or
// group's latest version with a grade that counts (agreed, or a first grade
// no second grader disputes). The class's graders do, when they choose.
func (s *Service) Release(ctx context.Context, classID, itemID uuid.UUID) (ReleaseSummary, error) {
	sc, err := s.staffScope(ctx, classID, itemID)
	if err != nil {
		return ReleaseSummary{}, err
	}
	var sum ReleaseSummary
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		sum = ReleaseSummary{}
		latest, err := s.store.latestSubmissions(ctx, classID, itemID)
		if err != nil {
			return err
		}
		for _, sub := range latest {
			// A grade being given to the same work waits, or is seen.
			if err := s.store.lockOwner(ctx, classID, itemID, sub.OwnerID); err != nil {
				return err
			}
			changed, err := s.release(ctx, sc.a, classID, sub.OwnerID)
			switch {
			case apperr.KindOf(err) == apperr.KindConflict:
				sum.Pending++
			case err != nil:
				return err
			case changed:
				sum.Released++
			default:
				sum.Unchanged++
			}
		}
		return s.recordClass(ctx, sc.access, "assignment.release", map[string]any{"assignment_id": itemID, "released": sum.Released})
	})
	return sum, err
}

// errNothingToRelease is a latest version without a grade that counts.
var errNothingToRelease = apperr.New(apperr.KindConflict, "assignment.nothing_to_release",
	"Kiriman terakhir belum memiliki nilai yang berlaku.", "The latest submission has no grade that counts yet.")

// release computes the result of a learner's or group's latest version and,
// when it is new or differs from the released one, stores it and records
// TypeGraded for every learner it belongs to. It runs in the caller's
// transaction, under the owner's lock or the release's.
func (s *Service) release(ctx context.Context, a Assignment, classID, ownerID uuid.UUID) (bool, error) {
	subs, err := s.store.ownerSubmissions(ctx, classID, a.ItemID, ownerID)
	if err != nil {
		return false, err
	}
	if len(subs) == 0 {
		return false, errNothingToRelease
	}
	sub := subs[0]
	grades, err := s.store.grades(ctx, sub.ID)
	if err != nil {
		return false, err
	}
	g, ok := effectiveGrade(grades)
	if !ok {
		return false, errNothingToRelease
	}
	peers, err := s.store.submissionTasks(ctx, sub.ID)
	if err != nil {
		return false, err
	}
	points := round3(withPeers(a, g.Points, peers) * (1 - sub.PenaltyPercent/100))
	before, err := s.store.result(ctx, classID, a.ItemID, ownerID)
	if err != nil {
		return false, err
	}
	if before != nil && before.SubmissionID == sub.ID && before.Points == points && before.MaxPoints == a.MaxPoints {
		return false, nil
	}
	r := Result{ClassID: classID, AssignmentID: a.ItemID, OwnerID: ownerID, SubmissionID: sub.ID, Points: points,
		MaxPoints: a.MaxPoints, ReleasedAt: s.now()}
	if err := s.store.saveResult(ctx, r); err != nil {
		return false, err
	}
	learners := []uuid.UUID{ownerID}
	if sub.GroupID != nil {
		grp, err := s.store.group(ctx, *sub.GroupID, false)
		if err != nil {
			return false, err
		}
		learners = grp.Members
	}
	for _, userID := range learners {
		_, err := s.outbox.Add(ctx, queue.Job{Type: TypeGraded, Queue: queue.Default, Payload: GradedPayload{
			SubmissionID: sub.ID, AssignmentID: a.ItemID, ClassID: classID, UserID: userID, Points: points,
			MaxPoints: a.MaxPoints, ReleasedAt: r.ReleasedAt}})
		if err != nil {
			return false, fmt.Errorf("record assignment graded: %w", err)
		}
	}
	return true, nil
}

// ResultView is a learner's released result with the grade's feedback.
type ResultView struct {
	Result    Result
	Released  bool
	Grade     Grade
	Downloads map[uuid.UUID]string // feedback files' presigned URLs by id
}

// MyResult returns the caller's (their group's) released result of a
// class's assignment; Released is false until the graders release it.
func (s *Service) MyResult(ctx context.Context, classID, itemID uuid.UUID) (ResultView, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return ResultView{}, err
	}
	if err := authz.Decide(true, sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return ResultView{}, err
	}
	owner := sc.actor.UserID
	if sc.a.Mode == ModeGroup {
		g, err := s.groupOf(ctx, classID, owner)
		if err != nil || g == nil {
			return ResultView{}, err
		}
		owner = g.ID
	}
	return s.resultView(ctx, classID, itemID, owner)
}

// resultView is an owner's released result with its grade and feedback files.
func (s *Service) resultView(ctx context.Context, classID, itemID, owner uuid.UUID) (ResultView, error) {
	r, err := s.store.result(ctx, classID, itemID, owner)
	if err != nil || r == nil {
		return ResultView{}, err
	}
	grades, err := s.store.grades(ctx, r.SubmissionID)
	if err != nil {
		return ResultView{}, err
	}
	g, _ := effectiveGrade(grades)
	view := ResultView{Result: *r, Released: true, Grade: g, Downloads: map[uuid.UUID]string{}}
	for _, id := range g.FeedbackFileIDs {
		p, err := s.files.DownloadURL(ctx, id, "")
		if err != nil {
			return ResultView{}, fmt.Errorf("presign feedback file: %w", err)
		}
		view.Downloads[id] = p.URL
	}
	return view, nil
}
