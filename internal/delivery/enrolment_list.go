package delivery

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// ClassEnrolments lists a class's enrolments with the learners' names, for
// its staff and those who oversee it, first come first.
func (s *Service) ClassEnrolments(ctx context.Context, classID uuid.UUID, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	if _, err := s.classAccess(ctx, classID, needOversee); err != nil {
		return page.Result[Enrolment]{}, err
	}
	f.ClassID = classID
	list, err := s.store.listEnrolments(ctx, f, enrolmentScope{}, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	res := buildEnrolments(list, req)
	return res, s.withLearners(ctx, res.Items, nil)
}

// MyEnrolments lists the caller's enrolments, newest first.
func (s *Service) MyEnrolments(ctx context.Context, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	if !actor.MaySelf(authz.SelfLearn) {
		return page.Result[Enrolment]{}, ErrSelfScope
	}
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	f.UserID = actor.UserID
	list, err := s.store.listEnrolments(ctx, f, enrolmentScope{}, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	return buildEnrolments(list, req), nil
}

// TeamEnrolments lists the enrolments of the caller's team, newest first:
// the learners they supervise directly and everyone in the units where they
// hold enrolment.oversee.
func (s *Service) TeamEnrolments(ctx context.Context, f EnrolmentFilter, req page.Request) (page.Result[Enrolment], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	if err := checkEnrolmentList(f, req); err != nil {
		return page.Result[Enrolment]{}, err
	}
	if td, ok := s.directory.(TeamDirectory); ok {
		// The team is everyone active under the caller's oversee roots:
		// direct reports count only inside those roots (see supervises), so
		// they add nobody. The enrolments' learner key selects and pages;
		// identity confirms and describes only the page's learners
		// (team_store.go).
		scope := enrolmentScope{}
		if roots, all := actor.Roots(authz.EnrolmentOversee); !all {
			outer := make([]string, 0, len(roots))
			for _, r := range roots {
				if !coveredByOther(r, roots) && !slices.Contains(outer, r) {
					outer = append(outer, r)
				}
			}
			scope.team = &teamScope{roots: outer, caller: actor.UserID, members: td.TeamQuery(ctx, outer, actor.UserID)}
		}
		list, err := s.store.listEnrolments(ctx, f, scope, req)
		if err != nil {
			return page.Result[Enrolment]{}, err
		}
		res := buildEnrolments(list, req)
		return res, s.withLearners(ctx, res.Items, nil)
	}
	team, all, err := s.team(ctx, actor)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	scope := enrolmentScope{}
	if !all {
		if f.UserID != uuid.Nil {
			if _, ok := team[f.UserID]; !ok {
				return page.Result[Enrolment]{}, nil
			}
		}
		scope.userIDs = make([]uuid.UUID, 0, len(team))
		for id := range team {
			scope.userIDs = append(scope.userIDs, id)
		}
	}
	list, err := s.store.listEnrolments(ctx, f, scope, req)
	if err != nil {
		return page.Result[Enrolment]{}, err
	}
	res := buildEnrolments(list, req)
	return res, s.withLearners(ctx, res.Items, team)
}

// withLearners sets the learner of each enrolment: from known when there,
// else from the directory in one lookup for the page. A learner the
// directory no longer knows is left out rather than failing the list.
func (s *Service) withLearners(ctx context.Context, items []Enrolment, known map[uuid.UUID]Learner) error {
	var missing []uuid.UUID
	for _, e := range items {
		if _, ok := known[e.UserID]; !ok {
			missing = append(missing, e.UserID)
		}
	}
	found, err := s.learners(ctx, missing)
	if err != nil {
		return err
	}
	for i, e := range items {
		l, ok := known[e.UserID]
		if !ok {
			l, ok = found[e.UserID]
		}
		if ok {
			items[i].Learner = &l
		}
	}
	return nil
}

// team returns the caller's team by user id; all is true for a platform
// admin, whose team is everyone.
func (s *Service) team(ctx context.Context, actor *authz.Actor) (map[uuid.UUID]Learner, bool, error) {
	roots, all := actor.Roots(authz.EnrolmentOversee)
	if all {
		return nil, true, nil
	}
	team := map[uuid.UUID]Learner{}
	var reports []Learner
	var err error
	if rd, ok := s.directory.(ReportsDirectory); ok {
		reports, err = rd.DirectReports(ctx, actor.UserID)
	} else if actor.HomeOrgID != uuid.Nil {
		reports, err = s.directory.LearnersInOrg(ctx, actor.HomeOrgID)
	}
	if err != nil {
		return nil, false, err
	}
	for _, l := range reports {
		if supervises(actor, l, authz.EnrolmentOversee) {
			team[l.UserID] = l
		}
	}
	fetched := map[string]bool{}
	for _, g := range actor.Grants {
		if fetched[g.OrgPath] || !authz.RoleGrants(g.Role, authz.EnrolmentOversee) ||
			!actor.Can(authz.EnrolmentOversee, g.OrgPath) || coveredByOther(g.OrgPath, roots) {
			continue
		}
		fetched[g.OrgPath] = true
		learners, err := s.directory.LearnersInOrg(ctx, g.OrgID)
		if err != nil {
			return nil, false, err
		}
		for _, l := range learners {
			team[l.UserID] = l
		}
	}
	delete(team, actor.UserID)
	return team, false, nil
}

// coveredByOther reports whether path lies strictly inside another of roots.
func coveredByOther(path string, roots []string) bool {
	for _, r := range roots {
		if r != path && authz.Inside(path, r) {
			return true
		}
	}
	return false
}

// checkEnrolmentList refuses a list of enrolments with a bad filter or a
// cursor of another list (every enrolment list is ordered by id).
func checkEnrolmentList(f EnrolmentFilter, req page.Request) error {
	if err := f.Validate(); err != nil {
		return err
	}
	return database.CheckCursor(req, database.KeyNone)
}

func buildEnrolments(list []Enrolment, req page.Request) page.Result[Enrolment] {
	return page.Build(list, req.Limit, func(e Enrolment) page.Position { return page.Position{ID: e.ID.String()} })
}
