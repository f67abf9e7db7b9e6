package delivery

import (
	"context"
	"errors"
	"sort"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

// A learner on a learning path moves step by step: a step opens when its
// prerequisite courses are completed, or without prerequisites when every
// step at an earlier position is.
// An opened step enrols the learner in the earliest class of its course they
// can join by themselves (enrolment open, a seat free, no clash); when there
// is none the step stays unlocked and the learner enrols later. Completing a
// course enrolment moves every path it belongs to on, in the same transaction.

// EnrolInPath puts the caller on a learning path and enrols them in its
// first course. Enrolling again returns the path enrolment with created false.
func (s *Service) EnrolInPath(ctx context.Context, pathID uuid.UUID) (PathEnrolment, bool, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return PathEnrolment{}, false, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return PathEnrolment{}, false, ErrSelfScope
	}
	if err := s.catalogue.SeePath(ctx, pathID); err != nil {
		return PathEnrolment{}, false, ErrPathNotFound
	}
	steps, err := s.catalogue.PathSteps(ctx, pathID)
	if err != nil {
		return PathEnrolment{}, false, ErrPathNotFound
	}
	if len(steps) == 0 {
		return PathEnrolment{}, false, ErrPathEmpty
	}
	var (
		pe      PathEnrolment
		created bool
	)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		created = false // a retried transaction starts over
		now := s.now()
		row := pathEnrolmentRow{ID: uuid.Must(uuid.NewV7()), PathID: pathID, UserID: actor.UserID, Status: "active",
			CurrentPosition: steps[0].Position, CreatedAt: now, UpdatedAt: now}
		if created, err = s.store.createPathEnrolment(ctx, row); err != nil {
			return err
		}
		if row, err = s.store.pathEnrolment(ctx, pathID, actor.UserID, true); err != nil {
			return err
		}
		if created {
			if err := s.advance(ctx, row, steps); err != nil {
				return err
			}
			if err := s.recordAt(ctx, authz.ClassRead, actor.HomeOrgID, actor.HomeOrgPath, "path_enrolment.create",
				"path_enrolment", row.ID, nil, map[string]any{"path_id": pathID, "user_id": actor.UserID}); err != nil {
				return err
			}
		}
		pe, err = s.pathState(ctx, pathID, actor.UserID, steps)
		return err
	})
	return pe, created, err
}

// pathState reads a learner's state on a path, every step included.
func (s *Service) pathState(ctx context.Context, pathID, userID uuid.UUID, steps []PathStep) (PathEnrolment, error) {
	row, err := s.store.pathEnrolment(ctx, pathID, userID, false)
	if err != nil {
		return PathEnrolment{}, err
	}
	rows, err := s.store.pathSteps(ctx, row.ID)
	if err != nil {
		return PathEnrolment{}, err
	}
	pe := PathEnrolment{ID: row.ID, PathID: row.PathID, UserID: row.UserID, Status: row.Status,
		CurrentPosition: row.CurrentPosition, CreatedAt: row.CreatedAt.UTC(), CompletedAt: utcPtr(row.CompletedAt)}
	for _, st := range sortedSteps(steps) {
		state := PathStepState{CourseID: st.CourseID, Position: st.Position, Status: StepLocked}
		if r, ok := rows[st.CourseID]; ok {
			state.Status, state.EnrolmentID, state.CompletedAt = StepStatus(r.Status), r.EnrolmentID, utcPtr(r.CompletedAt)
		}
		pe.Steps = append(pe.Steps, state)
	}
	return pe, nil
}

func sortedSteps(steps []PathStep) []PathStep {
	out := append([]PathStep(nil), steps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Position < out[j].Position })
	return out
}

// advancePaths moves on the learner's active paths that wait for a course.
func (s *Service) advancePaths(ctx context.Context, userID, courseID uuid.UUID) error {
	rows, err := s.store.openPathsWithCourse(ctx, userID, courseID)
	if err != nil {
		return err
	}
	for _, row := range rows {
		steps, err := s.catalogue.PathSteps(ctx, row.PathID)
		if err != nil {
			continue // the path is gone from the catalogue: nothing to move on
		}
		if err := s.advance(ctx, row, steps); err != nil {
			return err
		}
	}
	return nil
}

// advance brings a locked path enrolment up to date: it records completed
// steps, opens the steps whose conditions hold, enrols in them where it
// can, and sets the current position, until nothing changes.
func (s *Service) advance(ctx context.Context, pe pathEnrolmentRow, steps []PathStep) error {
	steps = sortedSteps(steps)
	for {
		rows, err := s.store.pathSteps(ctx, pe.ID)
		if err != nil {
			return err
		}
		changed := false
		for _, st := range steps {
			r, has := rows[st.CourseID]
			if has && r.Status == string(StepCompleted) {
				continue
			}
			open, err := s.stepOpen(ctx, pe.UserID, st, steps, rows)
			if err != nil {
				return err
			}
			if !open {
				continue
			}
			next, err := s.openStep(ctx, pe, st, r, has)
			if err != nil {
				return err
			}
			if !has || next.Status != r.Status || !sameID(next.EnrolmentID, r.EnrolmentID) {
				if err := s.store.saveStep(ctx, next); err != nil {
					return err
				}
				rows[st.CourseID] = next
				changed = changed || next.Status == string(StepCompleted)
			}
		}
		if !changed {
			return s.settle(ctx, pe, steps, rows)
		}
	}
}

// stepOpen reports whether a step's prerequisite courses are completed (in
// this path or in any class), or without prerequisites every earlier step.
func (s *Service) stepOpen(ctx context.Context, userID uuid.UUID, st PathStep, steps []PathStep, rows map[uuid.UUID]pathStepRow) (bool, error) {
	if len(st.Prerequisites) == 0 {
		for _, other := range steps {
			if other.Position < st.Position && rows[other.CourseID].Status != string(StepCompleted) {
				return false, nil
			}
		}
		return true, nil
	}
	for _, course := range st.Prerequisites {
		if rows[course].Status == string(StepCompleted) {
			continue
		}
		e, err := s.store.courseEnrolment(ctx, userID, course)
		if isNotFound(err) || err == nil && e.Status != EnrolmentCompleted {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// openStep returns the state of an open step: completed when the learner
// has completed the course in any class, enrolled when they are in one or a
// class could be joined now, else unlocked.
func (s *Service) openStep(ctx context.Context, pe pathEnrolmentRow, st PathStep, r pathStepRow, has bool) (pathStepRow, error) {
	now := s.now()
	next := pathStepRow{PathEnrolmentID: pe.ID, CourseID: st.CourseID, Position: st.Position, Status: string(StepUnlocked), UnlockedAt: now}
	if has {
		next.UnlockedAt = r.UnlockedAt
	}
	e, err := s.store.courseEnrolment(ctx, pe.UserID, st.CourseID)
	switch {
	case err == nil && e.Status == EnrolmentCompleted:
		next.Status, next.EnrolmentID, next.CompletedAt = string(StepCompleted), &e.ID, e.CompletedAt
		return next, nil
	case err == nil:
		next.Status, next.EnrolmentID = string(StepEnrolled), &e.ID
		return next, nil
	case !isNotFound(err):
		return pathStepRow{}, err
	}
	e, err = s.enrolFromPath(ctx, pe, st.CourseID)
	if err != nil {
		return pathStepRow{}, err
	}
	if e.ID != uuid.Nil {
		next.Status, next.EnrolmentID = string(StepEnrolled), &e.ID
	}
	return next, nil
}

// enrolFromPath enrols the learner in the earliest class of a course they
// can join by themselves now; it returns a zero enrolment when there is none.
func (s *Service) enrolFromPath(ctx context.Context, pe pathEnrolmentRow, courseID uuid.UUID) (Enrolment, error) {
	candidates, err := s.store.openClassesOfCourse(ctx, courseID, s.now())
	if err != nil {
		return Enrolment{}, err
	}
	// The learner enrols, whoever's action completed their previous course.
	if len(candidates) == 0 {
		return Enrolment{}, nil
	}
	// a class of a course not shared with the learner's unit is not theirs to join
	person, err := s.directory.Learner(ctx, pe.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	if ok, err := s.sharedWithLearner(ctx, courseID, person, map[string]bool{}); err != nil || !ok {
		return Enrolment{}, err
	}
	learner := &authz.Actor{UserID: pe.UserID}
	for _, c := range candidates {
		if err := s.store.lockClass(ctx, c.ID); err != nil {
			return Enrolment{}, err
		}
		a, err := s.loadClass(ctx, c.ID, learner)
		if err != nil {
			return Enrolment{}, err
		}
		taken, err := s.store.seatsTaken(ctx, c.ID)
		if err != nil {
			return Enrolment{}, err
		}
		if taken >= a.class.Capacity {
			continue // filled up since the candidates were read
		}
		e, err := s.selfEnrol(ctx, a, SourcePath, &pe.ID)
		var clash *ClashError
		switch {
		case errors.As(err, &clash), errors.Is(err, ErrClassFull), errors.Is(err, ErrEnrolmentClosed), errors.Is(err, ErrClassNotOpen):
			continue
		case err != nil:
			return Enrolment{}, err
		}
		return e, s.record(ctx, authz.ClassRead, a, "enrolment.create", "enrolment", e.ID, nil, e)
	}
	return Enrolment{}, nil
}

// settle sets a path enrolment's current position (the first position with
// a step not completed) and completes it when every step is.
func (s *Service) settle(ctx context.Context, pe pathEnrolmentRow, steps []PathStep, rows map[uuid.UUID]pathStepRow) error {
	before := pe
	pe.CurrentPosition = -1
	for _, st := range steps {
		if rows[st.CourseID].Status != string(StepCompleted) {
			pe.CurrentPosition = st.Position
			break
		}
	}
	if pe.CurrentPosition == -1 {
		now := s.now()
		pe.Status, pe.CompletedAt = "completed", &now
		pe.CurrentPosition = steps[len(steps)-1].Position
	}
	if pe.Status == before.Status && pe.CurrentPosition == before.CurrentPosition {
		return nil
	}
	pe.UpdatedAt = s.now()
	return s.store.updatePathEnrolment(ctx, pe)
}

func sameID(a, b *uuid.UUID) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
