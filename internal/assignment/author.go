package assignment

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// AuthorView is an assignment item as its course's authors set it up.
type AuthorView struct {
	Item       CourseItem
	Assignment Assignment // the defaults of a new one when Exists is false
	Exists     bool
	Rubric     *Rubric // the rubric it is graded by, nil when by points
}

// AuthorAssignment returns an assignment item with its settings and rubric
// to the course's authors (a reader is forbidden, anyone else told it is
// not there).
func (s *Service) AuthorAssignment(ctx context.Context, itemID uuid.UUID) (AuthorView, error) {
	sc, err := s.itemScope(ctx, itemID)
	if err != nil {
		return AuthorView{}, err
	}
	if err := authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseAuthor, sc.path), ErrAssignmentNotFound); err != nil {
		return AuthorView{}, err
	}
	if !sc.item.IsAssignment {
		return AuthorView{}, ErrNotAnAssignmentItem
	}
	view := AuthorView{Item: sc.item}
	a, err := s.store.assignment(ctx, itemID)
	switch {
	case err == nil:
		view.Assignment, view.Exists = a, true
	case apperr.KindOf(err) == apperr.KindNotFound:
		view.Assignment = Assignment{ItemID: itemID, VersionID: sc.item.VersionID, Mode: ModeIndividual,
			FileTypes: []string{"application/pdf"}, MaxFileSize: 20 << 20, MaxFiles: 1, MaxPoints: 100}
	default:
		return AuthorView{}, err
	}
	if view.Assignment.RubricID != nil {
		rb, err := s.store.rubric(ctx, *view.Assignment.RubricID, false)
		if err != nil {
			return AuthorView{}, err
		}
		view.Rubric = &rb
	}
	return view, nil
}

// checkInput reports the field errors in setting an assignment to in, on
// top of a (its present settings or a new one's defaults), writing nothing.
func checkInput(a Assignment, in Input) error { return in.apply(&a) }

// ClassLearners returns who learns in a class, to its staff: the roster an
// extension is granted from.
func (s *Service) ClassLearners(ctx context.Context, classID, itemID uuid.UUID) ([]uuid.UUID, error) {
	if _, err := s.staffScope(ctx, classID, itemID); err != nil {
		return nil, err
	}
	return s.classes.Learners(ctx, classID, nil)
}

// Extensions returns the learners' extended due dates of a class's
// assignment by learner, to its staff.
func (s *Service) Extensions(ctx context.Context, classID, itemID uuid.UUID) (map[uuid.UUID]time.Time, error) {
	if _, err := s.staffScope(ctx, classID, itemID); err != nil {
		return nil, err
	}
	return s.store.extensions(ctx, classID, itemID)
}
