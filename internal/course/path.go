package course

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// pathScope is a learning path as one caller meets it.
type pathScope struct {
	actor *authz.Actor
	path  LearningPath
	org   string // the owning organisation's path
}

func (ps pathScope) manages() bool { return ps.actor.Can(authz.PathManage, ps.org) }

func (ps pathScope) visible() bool {
	return ps.manages() || (ps.path.ArchivedAt == nil && reaches(ps.actor, ps.path.Sharing, ps.org, ps.path.SharedOrgIDs))
}

func (ps pathScope) change(action string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "learning_path", EntityID: ps.path.ID.String(),
		OrgID: ps.path.OrgID, OrgPath: ps.org, Before: before, After: after}
}

func (s *Service) pathScope(ctx context.Context, id uuid.UUID, forUpdate bool) (pathScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return pathScope{}, err
	}
	row, err := s.store.path(ctx, id, forUpdate)
	if err != nil {
		return pathScope{}, err
	}
	p := row.toPath()
	shares, err := s.store.pathShares(ctx, id)
	if err != nil {
		return pathScope{}, err
	}
	steps, err := s.store.pathSteps(ctx, id)
	if err != nil {
		return pathScope{}, err
	}
	p.SharedOrgIDs, p.Steps = nonNil(shares[id]), nonNil(steps[id])
	org, err := s.orgs.OrgPath(ctx, p.OrgID)
	if err != nil {
		return pathScope{}, fmt.Errorf("resolve path organisation: %w", err)
	}
	return pathScope{actor: actor, path: p, org: org}, nil
}

// managedPath is the pathScope of an active path the caller manages, its
// row locked for the change: 404 for an archived path or one the caller
// may not see, 403 for one they see but do not manage.
func (s *Service) managedPath(ctx context.Context, id uuid.UUID) (pathScope, error) {
	ps, err := s.pathScope(ctx, id, true)
	if err != nil {
		return pathScope{}, err
	}
	if ps.path.ArchivedAt != nil {
		return pathScope{}, ErrPathNotFound
	}
	if err := authz.Decide(ps.visible(), ps.manages(), ErrPathNotFound); err != nil {
		return pathScope{}, err
	}
	return ps, nil
}

// checkSteps checks that every course of a path is published, not archived
// and visible to the caller. It reads the courses and their shares in one
// query each and resolves each owning organisation once.
func (s *Service) checkSteps(ctx context.Context, steps []StepInput) error {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(steps))
	for i, st := range steps {
		ids[i] = st.CourseID
	}
	rows, err := s.store.courses(ctx, ids)
	if err != nil {
		return err
	}
	shares, err := s.store.shares(ctx, ids...)
	if err != nil {
		return err
	}
	paths := map[uuid.UUID]string{}
	for i, st := range steps {
		notFound := apperr.Invalid(fmt.Sprintf("steps[%d].course_id", i), "kursus terbit tidak ditemukan", "no published course with this id")
		row, ok := rows[st.CourseID]
		if !ok {
			return notFound
		}
		path, ok := paths[row.OrgID]
		if !ok {
			if path, err = s.orgs.OrgPath(ctx, row.OrgID); err != nil {
				return fmt.Errorf("resolve course organisation: %w", err)
			}
			paths[row.OrgID] = path
		}
		sc := courseScope{actor: actor, course: row.toCourse(shares[row.ID]), path: path}
		live := sc.course.PublishedVersionID != nil && sc.course.ArchivedAt == nil
		if !live || !(sc.staff() || sc.shared()) {
			return notFound
		}
	}
	return nil
}

// CreatePath creates a learning path in an organisation where the caller
// manages paths, of published courses they may see.
func (s *Service) CreatePath(ctx context.Context, in PathInput) (LearningPath, error) {
	now := s.now()
	p := LearningPath{ID: newID(), OrgID: in.OrgID, Code: in.Code, Title: in.Title, Description: in.Description,
		Sharing: in.Sharing, SharedOrgIDs: nonNil(in.SharedOrgIDs), CreatedAt: now, UpdatedAt: now}
	if p.Sharing == "" {
		p.Sharing = SharingPrivate
	}
	for i, st := range in.Steps {
		p.Steps = append(p.Steps, PathStep{CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs)})
	}
	if err := p.validate(); err != nil {
		return LearningPath{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return LearningPath{}, err
	}
	org, err := s.orgPathFor(ctx, "org_id", in.OrgID)
	if err != nil {
		return LearningPath{}, err
	}
	if !actor.Can(authz.PathManage, org) {
		return LearningPath{}, apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
	}
	if err := s.checkOrgs(ctx, "shared_org_ids", p.SharedOrgIDs); err != nil {
		return LearningPath{}, err
	}
	if err := s.checkSteps(ctx, in.Steps); err != nil {
		return LearningPath{}, err
	}
	p.CreatedBy = actor.UserID
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createPath(ctx, pathRow{ID: p.ID, OrgID: p.OrgID, Code: p.Code, Title: p.Title,
			Description: p.Description, Sharing: string(p.Sharing), CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := s.store.setPathShares(ctx, p.ID, p.SharedOrgIDs); err != nil {
			return err
		}
		if err := s.store.setPathSteps(ctx, p.ID, in.Steps); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, audit.Change{Action: "learning_path.create", EntityType: "learning_path",
			EntityID: p.ID.String(), OrgID: p.OrgID, OrgPath: org, After: p})
	})
	if err != nil {
		return LearningPath{}, err
	}
	return s.Path(ctx, p.ID)
}

// Path returns a learning path the caller may see.
func (s *Service) Path(ctx context.Context, id uuid.UUID) (LearningPath, error) {
	ps, err := s.pathScope(ctx, id, false)
	if err != nil {
		return LearningPath{}, err
	}
	if !ps.visible() {
		return LearningPath{}, ErrPathNotFound
	}
	return ps.path, nil
}

// Paths lists the active learning paths the caller may see, by title.
func (s *Service) Paths(ctx context.Context, orgID uuid.UUID, query string, req page.Request) (page.Result[LearningPath], error) {
	if err := checkList(req, query); err != nil {
		return page.Result[LearningPath]{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	_, all := actor.Roots(authz.PathManage)
	staff, err := s.staffOrgs(ctx, actor, authz.PathManage)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	rows, err := s.store.listPaths(ctx, all, ancestorIDs(actor.HomeOrgPath), staff, orgID, query, req)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	res := page.Build(rows, req.Limit, func(r pathRow) page.Position {
		return page.Position{Key: r.SortKey, ID: r.ID.String()}
	})
	ids := make([]uuid.UUID, len(res.Items))
	for i, r := range res.Items {
		ids[i] = r.ID
	}
	shares, err := s.store.pathShares(ctx, ids...)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	steps, err := s.store.pathSteps(ctx, ids...)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	out := make([]LearningPath, len(res.Items))
	for i, r := range res.Items {
		out[i] = r.toPath()
		out[i].SharedOrgIDs, out[i].Steps = nonNil(shares[r.ID]), nonNil(steps[r.ID])
	}
	return page.Result[LearningPath]{Items: out, NextCursor: res.NextCursor}, nil
}

// UpdatePath changes a learning path the caller manages; steps, when sent,
// replace every step.
func (s *Service) UpdatePath(ctx context.Context, id uuid.UUID, p PathPatch) (LearningPath, error) {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ps, err := s.managedPath(ctx, id)
		if err != nil {
			return err
		}
		before := ps.path
		after := before
		setIf(&after.Code, p.Code)
		setIf(&after.Title, p.Title)
		setIf(&after.Description, p.Description)
		setIf(&after.Sharing, p.Sharing)
		switch {
		case p.SharedOrgIDs != nil:
			after.SharedOrgIDs = nonNil(*p.SharedOrgIDs)
		case after.Sharing != SharingListed:
			after.SharedOrgIDs = []uuid.UUID{}
		}
		steps := make([]StepInput, len(before.Steps))
		for i, st := range before.Steps {
			steps[i] = StepInput{CourseID: st.CourseID, PrerequisiteCourseIDs: st.PrerequisiteCourseIDs}
		}
		if p.Steps != nil {
			steps = *p.Steps
			after.Steps = nil
			for i, st := range steps {
				after.Steps = append(after.Steps, PathStep{CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs)})
			}
		}
		if err := after.validate(); err != nil {
			return err
		}
		if err := s.checkOrgs(ctx, "shared_org_ids", after.SharedOrgIDs); err != nil {
			return err
		}
		if p.Steps != nil {
			if err := s.checkSteps(ctx, steps); err != nil {
				return err
			}
			if err := s.store.setPathSteps(ctx, id, steps); err != nil {
				return err
			}
		}
		if err := s.store.updatePath(ctx, id, map[string]any{"code": after.Code, "title": after.Title,
			"description": after.Description, "sharing": string(after.Sharing)}); err != nil {
			return err
		}
		if err := s.store.setPathShares(ctx, id, after.SharedOrgIDs); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, ps.change("learning_path.update", before, after))
	})
	if err != nil {
		return LearningPath{}, err
	}
	return s.Path(ctx, id)
}

// DeletePath archives a learning path the caller manages: it leaves every
// list, and the delivery package still reads the steps of those who follow it.
func (s *Service) DeletePath(ctx context.Context, id uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		ps, err := s.managedPath(ctx, id)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.store.updatePath(ctx, id, map[string]any{"archived_at": now}); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, ps.change("learning_path.delete", ps.path, nil))
	})
}

// PathCourses returns a learning path's steps in order, without authorizing,
// for the delivery package.
func (s *Service) PathCourses(ctx context.Context, pathID uuid.UUID) ([]PathStep, error) {
	if _, err := s.store.path(ctx, pathID, false); err != nil {
		return nil, err
	}
	steps, err := s.store.pathSteps(ctx, pathID)
	if err != nil {
		return nil, err
	}
	return nonNil(steps[pathID]), nil
}
