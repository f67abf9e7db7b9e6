package gradebook

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// MyGrades returns the caller's own row in a class they learn in; a
// learner with no grade yet gets an empty row of the class's items.
func (s *Service) MyGrades(ctx context.Context, classID uuid.UUID) (Row, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Row{}, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return Row{}, authz.ErrForbidden
	}
	c, err := s.classes.ClassAccess(ctx, classID)
	if apperr.KindOf(err) == apperr.KindNotFound || err == nil && !c.Learner {
		return Row{}, ErrGradebookNotFound
	}
	if err != nil {
		return Row{}, err
	}
	rows, err := s.store.results(ctx, classID, []uuid.UUID{actor.UserID})
	if err != nil {
		return Row{}, err
	}
	if r, ok := rows[actor.UserID]; ok {
		return r, nil
	}
	st, err := s.store.settings(ctx, classID)
	if err != nil {
		return Row{}, err
	}
	r := compute(c.Items, st, nil, nil)
	r.ClassID, r.UserID = classID, actor.UserID
	return r, nil
}

// Gradebook returns a page of a class's rows, for its staff, in learner
// order; a learner without any grade has no row yet.
func (s *Service) Gradebook(ctx context.Context, classID uuid.UUID, f RowFilter, req page.Request) (page.Result[Row], error) {
	if _, err := s.staffOf(ctx, classID); err != nil {
		return page.Result[Row]{}, err
	}
	rows, err := s.store.resultPage(ctx, classID, f, req)
	if err != nil {
		return page.Result[Row]{}, err
	}
	return page.Build(rows, req.Limit, func(r Row) page.Position { return page.Position{ID: r.UserID.String()} }), nil
}

// FinalGrade is a learner's final percent in a class, as printed on the
// certificate of their completion; ok is false while the class has no final
// grade for them. It answers the system, not a caller: the certificate
// worker asks on the learner's behalf.
func (s *Service) FinalGrade(ctx context.Context, classID, userID uuid.UUID) (percent float64, ok bool, err error) {
	rows, err := s.store.results(ctx, classID, []uuid.UUID{userID})
	if err != nil {
		return 0, false, fmt.Errorf("final grade of %s in %s: %w", userID, classID, err)
	}
	r, found := rows[userID]
	if !found || r.FinalPercent == nil {
		return 0, false, nil
	}
	return *r.FinalPercent, true, nil
}
