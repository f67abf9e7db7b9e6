package assignment

import (
	"context"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Late policies of a class: what happens to work handed in after its due date.
const (
	LatePenalty = "penalty" // accepted, losing PenaltyPerDay percent per day late
	LateFlag    = "flag"    // accepted and flagged
	LateRefuse  = "refuse"  // refused
)

// ClassSettings is what a class decides about one assignment. Nothing is
// ever accepted after the cut-off.
type ClassSettings struct {
	ClassID       uuid.UUID
	AssignmentID  uuid.UUID
	DueAt         *time.Time
	CutoffAt      *time.Time
	LatePolicy    string
	PenaltyPerDay float64 // percent of the grade per day or part of a day
}

func (cs ClassSettings) validate() error {
	var v apperr.Validation
	v.Check(cs.LatePolicy == LatePenalty || cs.LatePolicy == LateFlag || cs.LatePolicy == LateRefuse, "late_policy",
		"harus penalty, flag atau refuse", "must be penalty, flag or refuse")
	v.Check(cs.CutoffAt == nil || cs.DueAt != nil && !cs.CutoffAt.Before(*cs.DueAt), "cutoff_at",
		"memerlukan due_at dan tidak boleh sebelum due_at", "needs a due_at and may not be before it")
	v.Check(finite(cs.PenaltyPerDay) && cs.PenaltyPerDay >= 0 && cs.PenaltyPerDay <= 100, "penalty_per_day", "harus 0 sampai 100", "must be 0 to 100")
	v.Check(cs.LatePolicy != LatePenalty || cs.PenaltyPerDay > 0, "penalty_per_day", "wajib diisi untuk kebijakan penalty",
		"is required for the penalty policy")
	return v.Err()
}

// Lateness is how late a submit is and what it costs.
type Lateness struct {
	DaysLate       int     // days or parts of a day after the due date
	PenaltyPercent float64 // of the grade
}

// Judge decides a submit at the server's time at, given the learner's
// extended due date if any: refused after the cut-off (which an extension
// moves no earlier than itself) or, late, when the policy refuses.
func (cs ClassSettings) Judge(at time.Time, extendedDue *time.Time) (Lateness, error) {
	due, cutoff := cs.DueAt, cs.CutoffAt
	if extendedDue != nil {
		due = extendedDue
		if cutoff != nil && cutoff.Before(*extendedDue) {
			cutoff = extendedDue
		}
	}
	if cutoff != nil && at.After(*cutoff) {
		return Lateness{}, ErrPastCutoff
	}
	if due == nil || !at.After(*due) {
		return Lateness{}, nil
	}
	if cs.LatePolicy == LateRefuse {
		return Lateness{}, ErrLateRefused
	}
	days := int(math.Ceil(at.Sub(*due).Hours() / 24))
	l := Lateness{DaysLate: days}
	if cs.LatePolicy == LatePenalty {
		l.PenaltyPercent = math.Min(100, float64(days)*cs.PenaltyPerDay)
	}
	return l, nil
}

// SetClassSettings sets a class's dates and late policy for an assignment;
// the class's staff do.
func (s *Service) SetClassSettings(ctx context.Context, in ClassSettings) (ClassSettings, error) {
	if in.LatePolicy == "" {
		in.LatePolicy = LateFlag
	}
	if err := in.validate(); err != nil {
		return ClassSettings{}, err
	}
	sc, err := s.staffScope(ctx, in.ClassID, in.AssignmentID)
	if err != nil {
		return ClassSettings{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.saveClassSettings(ctx, in, sc.actor.UserID, s.now()); err != nil {
			return err
		}
		return s.recordClass(ctx, sc.access, "assignment.class_settings", in)
	})
	return in, err
}

// SetExtension grants a learner of a class a later due date for an
// assignment (nil takes it back); the class's staff do, never for
// themselves when they are enrolled too.
func (s *Service) SetExtension(ctx context.Context, classID, itemID, userID uuid.UUID, due *time.Time) error {
	sc, err := s.staffScope(ctx, classID, itemID)
	if err != nil {
		return err
	}
	if userID == sc.actor.UserID {
		return ErrOwnExtension
	}
	enrolled, err := s.enrolled(ctx, classID, []uuid.UUID{userID})
	if err != nil {
		return err
	}
	if !enrolled[userID] {
		return apperr.New(apperr.KindNotFound, "assignment.learner_not_found",
			"Peserta tidak terdaftar di kelas ini.", "The learner is not enrolled in this class.")
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.setExtension(ctx, classID, itemID, userID, due, sc.actor.UserID, s.now()); err != nil {
			return err
		}
		return s.recordClass(ctx, sc.access, "assignment.extension", map[string]any{"assignment_id": itemID, "user_id": userID, "due_at": due})
	})
}

// ClassView is an assignment as a class runs it, for its staff and learners.
type ClassView struct {
	Assignment Assignment
	Settings   ClassSettings
	// YourDueAt is the learner's due date, their extension's if they have one.
	YourDueAt *time.Time
	// Staff and Learner are the caller's standing in the class.
	Staff, Learner bool
}

// ClassAssignment returns an assignment of a class with the class's dates to
// its staff and learners.
func (s *Service) ClassAssignment(ctx context.Context, classID, itemID uuid.UUID) (ClassView, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return ClassView{}, err
	}
	if err := authz.Decide(true, sc.access.Staff || sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return ClassView{}, err
	}
	return s.classView(ctx, sc, classID)
}

// classView is a class's assignment with its dates, the learner's own due date.
func (s *Service) classView(ctx context.Context, sc classScope, classID uuid.UUID) (ClassView, error) {
	itemID := sc.a.ItemID
	cs, err := s.store.classSettings(ctx, classID, itemID)
	if err != nil {
		return ClassView{}, err
	}
	view := ClassView{Assignment: sc.a, Settings: cs, YourDueAt: cs.DueAt, Staff: sc.access.Staff, Learner: sc.access.Learner}
	if sc.access.Learner {
		ext, err := s.store.extension(ctx, classID, itemID, sc.actor.UserID)
		if err != nil {
			return ClassView{}, err
		}
		if ext != nil {
			view.YourDueAt = ext
		}
	}
	return view, nil
}
