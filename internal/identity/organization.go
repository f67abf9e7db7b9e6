package identity

import (
	"context"
	"fmt"
	"regexp"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// CreateOrg adds an organisation under in.ParentID; only platform admins
// create roots.
func (s *Service) CreateOrg(ctx context.Context, in OrgInput) (Organization, error) {
	if err := in.Validate(); err != nil {
		return Organization{}, err
	}
	now := s.now()
	o := Organization{ID: uuid.Must(uuid.NewV7()), ParentID: in.ParentID, Kind: in.Kind, Code: in.Code, Name: in.Name,
		RegionCode: in.RegionCode, Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		parentPath := ""
		if in.ParentID == nil {
			actor, err := authz.ActorFrom(ctx)
			if err != nil {
				return err
			}
			if !actor.IsPlatformAdmin() {
				return apperr.Invalid("parent_id", "wajib diisi", "is required")
			}
		} else {
			parent, err := s.store.org(ctx, *in.ParentID)
			if err != nil {
				return apperr.Invalid("parent_id", "organisasi induk tidak ditemukan", "the parent organisation was not found")
			}
			if _, err := authorize(ctx, authz.OrgManage, authz.OrgRead, parent.Path, ErrOrgNotFound); err != nil {
				return err
			}
			parentPath = parent.Path
		}
		o.Path = PathOf(parentPath, o.ID)
		if err := s.store.createOrg(ctx, o); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.OrgManage, audit.Change{Action: "organization.create", EntityType: "organization",
			EntityID: o.ID.String(), OrgID: o.ID, OrgPath: o.Path, After: o})
	})
	return o, err
}

// Org returns an organisation the caller may see.
func (s *Service) Org(ctx context.Context, id uuid.UUID) (Organization, error) {
	o, err := s.store.org(ctx, id)
	if err != nil {
		return Organization{}, err
	}
	if _, err := authorize(ctx, authz.OrgRead, "", o.Path, ErrOrgNotFound); err != nil {
		return Organization{}, err
	}
	return o, nil
}

// OrgFilter narrows a list of organisations.
type OrgFilter struct {
	RootID   uuid.UUID // only this organisation's subtree (itself included)
	ParentID uuid.UUID // only the children of this organisation
}

// orgCursorKey is the form of an organisation's path, the key of the
// list's cursor.
var orgCursorKey = regexp.MustCompile(`^(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})+/$`)

// Orgs returns a page of the organisations the caller may see, parents
// before children (by path); with a root, only that organisation's subtree;
// with a parent, only its children.
func (s *Service) Orgs(ctx context.Context, f OrgFilter, req page.Request) (page.Result[Organization], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Organization]{}, err
	}
	if err := database.CheckCursor(req, database.KeyText); err != nil {
		return page.Result[Organization]{}, err
	}
	if after := req.After(); after != nil && !orgCursorKey.MatchString(after.Key) {
		return page.Result[Organization]{}, database.ErrBadCursor // the key of this list is a path
	}
	roots, all := actor.Roots(authz.OrgRead)
	if f.RootID != uuid.Nil {
		root, err := s.Org(ctx, f.RootID)
		if err != nil {
			return page.Result[Organization]{}, err
		}
		roots, all = []string{root.Path}, false
	}
	var parent *uuid.UUID
	if f.ParentID != uuid.Nil {
		if _, err := s.Org(ctx, f.ParentID); err != nil {
			return page.Result[Organization]{}, err
		}
		parent = &f.ParentID
	}
	orgs, err := s.store.orgPage(ctx, roots, all, parent, req)
	if err != nil {
		return page.Result[Organization]{}, err
	}
	return page.Build(orgs, req.Limit, func(o Organization) page.Position {
		return page.Position{Key: o.Path, ID: o.ID.String()}
	}), nil
}

// UpdateOrg changes an organisation's fields; its place in the tree changes
// only through MoveOrg.
func (s *Service) UpdateOrg(ctx context.Context, id uuid.UUID, in OrgInput) (Organization, error) {
	if err := in.Validate(); err != nil {
		return Organization{}, err
	}
	var after Organization
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		before, err := s.store.org(ctx, id)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, authz.OrgManage, authz.OrgRead, before.Path, ErrOrgNotFound); err != nil {
			return err
		}
		after = before
		after.Kind, after.Code, after.Name, after.RegionCode, after.UpdatedAt = in.Kind, in.Code, in.Name, in.RegionCode, s.now()
		if in.Active != nil {
			after.Active = *in.Active
		}
		if err := s.store.updateOrg(ctx, after); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.OrgManage, audit.Change{Action: "organization.update", EntityType: "organization",
			EntityID: id.String(), OrgID: id, OrgPath: after.Path, Before: before, After: after})
	})
	return after, err
}

// MoveOrg moves an organisation and its whole subtree under newParentID. The
// caller must manage both the organisation and its new parent.
func (s *Service) MoveOrg(ctx context.Context, id, newParentID uuid.UUID) (Organization, error) {
	var moved Organization
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Serialize moves so two concurrent ones cannot form a cycle.
		if err := s.db.Conn(ctx).Exec("LOCK TABLE organizations IN SHARE ROW EXCLUSIVE MODE").Error; err != nil {
			return fmt.Errorf("lock organisations: %w", err)
		}
		org, err := s.store.org(ctx, id)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, authz.OrgManage, authz.OrgRead, org.Path, ErrOrgNotFound); err != nil {
			return err
		}
		parent, err := s.store.org(ctx, newParentID)
		if err != nil {
			return apperr.Invalid("parent_id", "organisasi induk tidak ditemukan", "the parent organisation was not found")
		}
		if _, err := authorize(ctx, authz.OrgManage, authz.OrgRead, parent.Path, apperr.Invalid("parent_id",
			"organisasi induk tidak ditemukan", "the parent organisation was not found")); err != nil {
			return err
		}
		if org.ParentID == nil || authz.Inside(parent.Path, org.Path) {
			return ErrMoveIntoOwnSubtree
		}
		newPath := PathOf(parent.Path, org.ID)
		if err := s.store.moveSubtree(ctx, org.ID, parent.ID, org.Path, newPath); err != nil {
			return err
		}
		moved = org
		moved.ParentID, moved.Path = &parent.ID, newPath
		if _, err := s.outbox.Add(ctx, event(EventOrganizationMoved, OrganizationMovedPayload{OrgID: id,
			OldParentID: org.ParentID, NewParentID: parent.ID, OldPath: org.Path, NewPath: newPath})); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.OrgManage, audit.Change{Action: "organization.move", EntityType: "organization",
			EntityID: id.String(), OrgID: id, OrgPath: newPath,
			Before: map[string]any{"parent_id": org.ParentID, "path": org.Path},
			After:  map[string]any{"parent_id": parent.ID, "path": newPath}})
	})
	return moved, err
}

// DeleteOrg removes an empty organisation; one with sub-organisations or
// people is deactivated instead, so nothing is lost.
func (s *Service) DeleteOrg(ctx context.Context, id uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		org, err := s.store.org(ctx, id)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, authz.OrgManage, authz.OrgRead, org.Path, ErrOrgNotFound); err != nil {
			return err
		}
		inUse, err := s.store.orgInUse(ctx, id)
		if err != nil {
			return err
		}
		if inUse {
			return ErrOrgHasChildren
		}
		if err := s.store.deleteOrg(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.OrgManage, audit.Change{Action: "organization.delete", EntityType: "organization",
			EntityID: id.String(), OrgID: id, OrgPath: org.Path, Before: org})
	})
}
