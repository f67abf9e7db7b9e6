package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity/nip"
	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

// validateUser checks what a user's fields need from the database: a valid
// NIP, and that the work unit lies in the home organisation's subtree.
func (s *Service) validateUser(ctx context.Context, in *UserInput) (Organization, error) {
	var v apperr.Validation
	in.normalize(&v)
	if in.NIP != "" {
		// Parse the NIP as written (it allows the spaces people put between
		// its groups) and keep its 18 digits.
		parsed, err := nip.Parse(in.NIP, s.now())
		if err != nil {
			for _, f := range apperr.As(err).Fields {
				v.Add(f.Field, f.Message.ID, f.Message.EN)
			}
		} else {
			in.NIP = parsed.String()
		}
	}
	if in.Password != "" {
		if err := password.Check(in.Password, in.Name, in.Email, in.NIP); err != nil {
			for _, f := range apperr.As(err).Fields {
				v.Add(f.Field, f.Message.ID, f.Message.EN)
			}
		}
	}
	if err := v.Err(); err != nil {
		return Organization{}, err
	}
	org, err := s.store.org(ctx, in.OrgID)
	if err != nil {
		return Organization{}, apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
	}
	if in.WorkUnitID != nil {
		unit, err := s.store.org(ctx, *in.WorkUnitID)
		if err != nil || !authz.Inside(unit.Path, org.Path) {
			return Organization{}, apperr.Invalid("work_unit_id", "unit kerja harus berada di dalam organisasi induk",
				"the work unit must lie within the home organisation")
		}
	}
	if in.SupervisorID != nil {
		if err := s.checkSupervisor(ctx, *in.SupervisorID, org); err != nil {
			return Organization{}, err
		}
	}
	return org, nil
}

// errSupervisorNotInLine is the one answer to a supervisor who cannot be
// named, whether or not the id names anyone, so the field cannot be used to
// find out which users exist.
var errSupervisorNotInLine = apperr.Invalid("supervisor_id",
	"atasan tidak ditemukan di organisasi pegawai atau di atasnya",
	"no such supervisor in the person's organisation or above it")

// checkSupervisor checks that supervisorID names someone the caller may see
// (themselves, or a user where they may read users) in the person's own
// line: their home organisation or an organisation above it.
func (s *Service) checkSupervisor(ctx context.Context, supervisorID uuid.UUID, home Organization) error {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	sup, err := s.store.user(ctx, supervisorID)
	if errors.Is(err, ErrUserNotFound) {
		return errSupervisorNotInLine
	}
	if err != nil {
		return err
	}
	visible := actor.UserID == sup.ID || actor.Can(authz.UserRead, sup.OrgPath)
	if !visible || !authz.Inside(home.Path, sup.OrgPath) {
		return errSupervisorNotInLine
	}
	return nil
}

// CreateUser registers a person in an organisation the caller manages.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (User, error) {
	var created User
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		org, err := s.validateUser(ctx, &in)
		if err != nil {
			return err
		}
		if _, err := authorize(ctx, authz.UserManage, authz.OrgRead, org.Path, apperr.Invalid("org_id",
			"organisasi tidak ditemukan", "organisation not found")); err != nil {
			return err
		}
		row, err := s.newUserRow(in)
		if err != nil {
			return err
		}
		if err := s.store.createUser(ctx, row); err != nil {
			return err
		}
		row.OrgPath = org.Path
		created = row.toUser()
		return s.audit.Record(ctx, authz.UserManage, audit.Change{Action: "user.create", EntityType: "user",
			EntityID: created.ID.String(), OrgID: org.ID, OrgPath: org.Path, After: created})
	})
	return created, err
}

func (s *Service) newUserRow(in UserInput) (userRow, error) {
	now := s.now()
	u := User{ID: uuid.Must(uuid.NewV7()), NIP: in.NIP, NationalID: in.NationalID, Name: in.Name, Email: in.Email,
		Phone: in.Phone, PositionTitle: in.PositionTitle, PositionType: in.PositionType, FunctionalPost: in.FunctionalPost,
		Grade: in.Grade, OrgID: in.OrgID, WorkUnitID: in.WorkUnitID, SupervisorID: in.SupervisorID,
		Status: StatusActive, CreatedAt: now, UpdatedAt: now}
	row := toUserRow(u)
	if in.Password != "" {
		hash, err := password.HashWith(in.Password, s.params)
		if err != nil {
			return userRow{}, fmt.Errorf("hash password: %w", err)
		}
		row.PasswordHash = &hash
	}
	return row, nil
}

// User returns a user the caller may see: themselves, or someone in a
// subtree where they may read users.
func (s *Service) User(ctx context.Context, id uuid.UUID) (User, error) {
	row, err := s.store.user(ctx, id)
	if err != nil {
		return User{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return User{}, err
	}
	if actor.UserID != id && !actor.Can(authz.UserRead, row.OrgPath) {
		return User{}, ErrUserNotFound
	}
	return row.toUser(), nil
}

// UpdateUser changes a user's personal and position fields; the home
// organisation changes only through TransferUser.
func (s *Service) UpdateUser(ctx context.Context, id uuid.UUID, in UserInput) (User, error) {
	var after User
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		row, err := s.store.user(ctx, id)
		if err != nil {
			return err
		}
		if _, err := authorizeOnUser(ctx, authz.UserManage, row); err != nil {
			return err
		}
		in.OrgID, in.Password = row.OrgID, ""
		if _, err := s.validateUser(ctx, &in); err != nil {
			return err
		}
		if in.SupervisorID != nil && *in.SupervisorID == id {
			return apperr.Invalid("supervisor_id", "pengguna tidak dapat menjadi atasan dirinya sendiri", "a user cannot supervise themselves")
		}
		before := row.toUser()
		next := toUserRow(User{NIP: in.NIP, NationalID: in.NationalID, Phone: in.Phone, PositionTitle: in.PositionTitle,
			PositionType: in.PositionType, FunctionalPost: in.FunctionalPost, Grade: in.Grade})
		fields := map[string]any{
			"nip": next.NIP, "national_id": next.NationalID, "name": in.Name, "email": in.Email, "phone": next.Phone,
			"position_title": next.PositionTitle, "position_type": next.PositionType, "functional_post": next.FunctionalPost,
			"grade": next.Grade, "work_unit_id": in.WorkUnitID, "supervisor_id": in.SupervisorID,
		}
		if err := s.store.updateUser(ctx, id, fields); err != nil {
			return err
		}
		if !strings.EqualFold(in.Email, row.Email) {
			// A new address must be verified again, and no link mailed to the
			// old one (verification or password reset) may work any more.
			if err := s.store.updateUser(ctx, id, map[string]any{"email_verified_at": nil}); err != nil {
				return err
			}
			if err := (authStore{db: s.db}).voidMailedLinks(ctx, []uuid.UUID{id}, s.now()); err != nil {
				return err
			}
		}
		updated, err := s.store.user(ctx, id)
		if err != nil {
			return err
		}
		after = updated.toUser()
		return s.audit.Record(ctx, authz.UserManage, audit.Change{Action: "user.update", EntityType: "user",
			EntityID: id.String(), OrgID: row.OrgID, OrgPath: row.OrgPath, Before: before, After: after})
	})
	return after, err
}

// SearchUsers lists the users the caller may read, matching f.
func (s *Service) SearchUsers(ctx context.Context, f UserFilter, req page.Request) (page.Result[User], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[User]{}, err
	}
	var v apperr.Validation
	v.Check(f.Status == "" || f.Status == StatusActive || f.Status == StatusSuspended || f.Status == StatusRetired, "status",
		"harus active, suspended atau retired", "must be active, suspended or retired")
	v.Check(web.StorableText(f.Query), "q", "memuat karakter yang tidak valid", "contains invalid characters")
	v.Check(database.CheckCursor(req, database.KeyText) == nil, "cursor", "kursor tidak valid", "invalid cursor")
	if err := v.Err(); err != nil {
		return page.Result[User]{}, err
	}
	roots, all := actor.Roots(authz.UserRead)
	scope := ""
	if f.OrgID != uuid.Nil {
		org, err := s.Org(ctx, f.OrgID)
		if err != nil {
			return page.Result[User]{}, err
		}
		scope = org.Path
	}
	rows, err := s.store.searchUsers(ctx, roots, all, scope, f, req)
	if err != nil {
		return page.Result[User]{}, err
	}
	return page.Build(toUsers(rows), req.Limit, func(u User) page.Position {
		return page.Position{Key: strings.ToLower(u.Name), ID: u.ID.String()}
	}), nil
}

// TransferInput moves a user to another organisation.
type TransferInput struct {
	ToOrgID      uuid.UUID
	ToWorkUnitID *uuid.UUID
	Reason       string
	EffectiveAt  time.Time // zero for now
}

// TransferUser moves a user to another organisation, keeping the history.
// The caller must manage users at both ends. The user keeps their account,
// learning record and certificates.
func (s *Service) TransferUser(ctx context.Context, id uuid.UUID, in TransferInput) (User, error) {
	var after User
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		row, err := s.store.user(ctx, id)
		if err != nil {
			return err
		}
		actor, err := authorizeOnUser(ctx, authz.UserManage, row)
		if err != nil {
			return err
		}
		probe := UserInput{OrgID: in.ToOrgID, WorkUnitID: in.ToWorkUnitID, Name: row.Name, Email: row.Email}
		dest, err := s.validateUser(ctx, &probe)
		if err != nil {
			return err
		}
		if !actor.Can(authz.UserManage, dest.Path) {
			return apperr.Invalid("to_org_id", "organisasi tujuan tidak ditemukan", "the destination organisation was not found")
		}
		effective := in.EffectiveAt
		if effective.IsZero() {
			effective = s.now()
		}
		t := Transfer{ID: uuid.Must(uuid.NewV7()), UserID: id, FromOrgID: row.OrgID, ToOrgID: dest.ID,
			FromWorkUnitID: row.WorkUnitID, ToWorkUnitID: in.ToWorkUnitID, Reason: in.Reason,
			EffectiveAt: effective.UTC(), CreatedBy: &actor.UserID, CreatedAt: s.now()}
		if err := s.store.createTransfer(ctx, t); err != nil {
			return err
		}
		if err := s.store.updateUser(ctx, id, map[string]any{"org_id": dest.ID, "work_unit_id": in.ToWorkUnitID}); err != nil {
			return err
		}
		moved, err := s.afterTransfers(ctx, []Transfer{t}, map[uuid.UUID]string{id: row.OrgPath}, dest.Path, actor.UserID)
		if err != nil {
			return err
		}
		updated, err := s.store.user(ctx, id)
		if err != nil {
			return err
		}
		after = updated.toUser()
		return s.audit.Record(ctx, authz.UserManage, audit.Change{Action: "user.transfer", EntityType: "user",
			EntityID: id.String(), OrgID: dest.ID, OrgPath: dest.Path, Before: row.toUser(),
			After: map[string]any{"user": after, "ended_grant_ids": moved[0].EndedGrantIDs, "supervisor_cleared": moved[0].SupervisorCleared}})
	})
	return after, err
}

// afterTransfers does what follows the transfers ts (already written) in
// the transaction in ctx: it ends the grants each person held in their old
// organisation's line (the old organisation, those above it and those inside
// it) that do not cover the new one, keeping them as history; it clears a
// supervisor who is not in the new organisation's line (it or above it);
// and it announces each transfer. fromPaths holds each person's old
// organisation path; toPath, when not empty, is the new one of every person
// (else it is looked up).
func (s *Service) afterTransfers(ctx context.Context, ts []Transfer, fromPaths map[uuid.UUID]string, toPath string, by uuid.UUID) ([]UserTransferredPayload, error) {
	out := make([]UserTransferredPayload, 0, len(ts))
	now := s.now()
	for _, t := range ts {
		dest := toPath
		if dest == "" {
			o, err := s.store.org(ctx, t.ToOrgID)
			if err != nil {
				return nil, err
			}
			dest = o.Path
		}
		from := fromPaths[t.UserID]
		p := UserTransferredPayload{TransferID: t.ID, UserID: t.UserID, FromOrgID: t.FromOrgID, FromOrgPath: from,
			ToOrgID: t.ToOrgID, ToOrgPath: dest, EffectiveAt: t.EffectiveAt, EndedGrantIDs: []uuid.UUID{}}
		grants, err := s.store.grantsOf(ctx, t.UserID)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			oldLine := authz.Inside(from, g.OrgPath) || authz.Inside(g.OrgPath, from)
			if g.Role == authz.RolePlatformAdmin || !oldLine || authz.Inside(dest, g.OrgPath) {
				continue
			}
			if err := s.store.endGrant(ctx, g.ID, by, "transfer", now); err != nil {
				return nil, err
			}
			p.EndedGrantIDs = append(p.EndedGrantIDs, g.ID)
		}
		cleared, err := s.store.clearSupervisorOutside(ctx, t.UserID, dest)
		if err != nil {
			return nil, err
		}
		p.SupervisorCleared = cleared
		if _, err := s.outbox.Add(ctx, event(EventUserTransferred, p)); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Transfers returns the transfer history of a user the caller may see.
func (s *Service) Transfers(ctx context.Context, id uuid.UUID) ([]Transfer, error) {
	if _, err := s.User(ctx, id); err != nil {
		return nil, err
	}
	return s.store.transfers(ctx, id)
}

// SetStatus suspends, reactivates or retires a user. A user who is no
// longer active loses every session and API token at once.
func (s *Service) SetStatus(ctx context.Context, id uuid.UUID, status UserStatus) (User, error) {
	if status != StatusActive && status != StatusSuspended && status != StatusRetired {
		return User{}, apperr.Invalid("status", "harus active, suspended atau retired", "must be active, suspended or retired")
	}
	var after User
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		row, err := s.store.user(ctx, id)
		if err != nil {
			return err
		}
		actor, err := authorizeOnUser(ctx, authz.UserManage, row)
		if err != nil {
			return err
		}
		if actor.UserID == id && status != StatusActive {
			return apperr.Invalid("status", "Anda tidak dapat menonaktifkan akun Anda sendiri", "you cannot deactivate your own account")
		}
		if err := s.store.updateUser(ctx, id, map[string]any{"status": string(status)}); err != nil {
			return err
		}
		if status != StatusActive {
			if err := s.store.revokeAllSessions(ctx, id, s.now()); err != nil {
				return err
			}
		}
		before := row.toUser()
		after = before
		after.Status = status
		return s.audit.Record(ctx, authz.UserManage, audit.Change{Action: "user.status", EntityType: "user",
			EntityID: id.String(), OrgID: row.OrgID, OrgPath: row.OrgPath,
			Before: map[string]any{"status": before.Status}, After: map[string]any{"status": status}})
	})
	return after, err
}
