package assignment

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
)

// LearnerView is what a learner meets of a class's assignment, read in one
// scope for their page: the dates, their (their group's) versions, the
// released result, the rubric, and their group or the groups open to them.
type LearnerView struct {
	ClassView
	Versions []Submission
	Result   ResultView
	Rubric   *Rubric
	// Group is the learner's group of a group assignment, nil when none;
	// OpenGroups are the self-sign-up groups with room while they have none.
	Group      *Group
	OpenGroups []Group
}

// LearnerPage returns a class's assignment as its learner meets it. The
// class's staff who do not learn in it get the class view alone.
func (s *Service) LearnerPage(ctx context.Context, classID, itemID uuid.UUID) (LearnerView, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return LearnerView{}, err
	}
	if err := authz.Decide(true, sc.access.Staff || sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return LearnerView{}, err
	}
	var view LearnerView
	if view.ClassView, err = s.classView(ctx, sc, classID); err != nil || !sc.access.Learner {
		return view, err
	}
	if sc.a.RubricID != nil {
		rb, err := s.store.rubric(ctx, *sc.a.RubricID, false)
		if err != nil {
			return LearnerView{}, err
		}
		view.Rubric = &rb
	}
	owner := sc.actor.UserID
	if sc.a.Mode == ModeGroup {
		groups, err := s.store.groups(ctx, classID)
		if err != nil {
			return LearnerView{}, err
		}
		for i, g := range groups {
			if slices.Contains(g.Members, owner) {
				view.Group = &groups[i]
			} else if g.SelfSignup && len(g.Members) < g.MaxSize {
				view.OpenGroups = append(view.OpenGroups, g)
			}
		}
		if view.Group == nil {
			view.Versions = []Submission{}
			return view, nil
		}
		view.OpenGroups, owner = nil, view.Group.ID
	}
	if view.Versions, err = s.store.ownerSubmissions(ctx, classID, itemID, owner); err != nil {
		return LearnerView{}, err
	}
	view.Result, err = s.resultView(ctx, classID, itemID, owner)
	return view, err
}
