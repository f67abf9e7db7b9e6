package assignment

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Group is a team of learners of a class that hands in group assignments
// together: formed by the class's staff, or open to self-sign-up up to MaxSize.
type Group struct {
	ID         uuid.UUID
	ClassID    uuid.UUID
	Name       string
	SelfSignup bool
	MaxSize    int
	Members    []uuid.UUID
	CreatedAt  time.Time
}

// GroupInput is a new group; Members are learners of the class.
type GroupInput struct {
	Name       string
	SelfSignup bool
	MaxSize    int
	Members    []uuid.UUID
}

func (in *GroupInput) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	var v apperr.Validation
	v.Check(in.Name != "" && utf8.RuneCountInString(in.Name) <= 100, "name", "wajib diisi, paling panjang 100 karakter", "is required, at most 100 characters")
	v.Check(in.MaxSize >= 1 && in.MaxSize <= 50, "max_size", "harus 1 sampai 50", "must be 1 to 50")
	v.Check(len(in.Members) <= in.MaxSize, "members", "melebihi max_size", "exceed max_size")
	seen := map[uuid.UUID]bool{}
	for _, m := range in.Members {
		v.Check(!seen[m], "members", "tidak boleh berulang", "may not repeat")
		seen[m] = true
	}
	return v.Err()
}

// classStanding is a class as the caller meets it, for groups.
func (s *Service) classStanding(ctx context.Context, classID uuid.UUID) (*authz.Actor, ClassAccess, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return nil, ClassAccess{}, err
	}
	ca, err := s.classes.ClassAccess(ctx, classID)
	return actor, ca, err
}

// CreateGroup forms a group of a class; the class's staff do.
func (s *Service) CreateGroup(ctx context.Context, classID uuid.UUID, in GroupInput) (Group, error) {
	actor, ca, err := s.classStanding(ctx, classID)
	if err != nil {
		return Group{}, err
	}
	if !ca.Staff {
		return Group{}, authz.ErrForbidden
	}
	if err := in.validate(); err != nil {
		return Group{}, err
	}
	enrolled, err := s.enrolled(ctx, classID, in.Members)
	if err != nil {
		return Group{}, err
	}
	for _, m := range in.Members {
		if !enrolled[m] {
			return Group{}, apperr.Invalid("members", "ada yang tidak terdaftar di kelas ini", "someone is not enrolled in this class")
		}
	}
	g := Group{ID: newID(), ClassID: classID, Name: in.Name, SelfSignup: in.SelfSignup, MaxSize: in.MaxSize,
		Members: append([]uuid.UUID{}, in.Members...), CreatedAt: s.now()}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createGroup(ctx, g, actor.UserID); err != nil {
			return err
		}
		return s.recordClass(ctx, ca, "assignment.group_create", g)
	})
	return g, err
}

// Groups lists a class's groups to its staff and learners.
func (s *Service) Groups(ctx context.Context, classID uuid.UUID) ([]Group, error) {
	_, ca, err := s.classStanding(ctx, classID)
	if err != nil {
		return nil, err
	}
	if !ca.Staff && !ca.Learner {
		return nil, authz.ErrForbidden
	}
	return s.store.groups(ctx, classID)
}

// JoinGroup signs the caller up to a self-sign-up group of a class they learn in.
func (s *Service) JoinGroup(ctx context.Context, groupID uuid.UUID) (Group, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Group{}, err
	}
	g, err := s.store.group(ctx, groupID, false)
	if err != nil {
		return Group{}, err
	}
	ca, err := s.classes.ClassAccess(ctx, g.ClassID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return Group{}, ErrGroupNotFound
	}
	if err != nil {
		return Group{}, err
	}
	if err := authz.Decide(true, ca.Learner, ErrGroupNotFound); err != nil {
		return Group{}, err
	}
	if !g.SelfSignup {
		return Group{}, apperr.New(apperr.KindConflict, "assignment.group_closed",
			"Kelompok ini dibentuk oleh pengajar; pendaftaran mandiri tidak dibuka.", "This group is formed by the instructors; it takes no sign-ups.")
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		locked, err := s.store.group(ctx, groupID, true) // serializes sign-ups to the group
		if err != nil {
			return err
		}
		if len(locked.Members) >= locked.MaxSize {
			return ErrGroupFull
		}
		if err := s.store.addMember(ctx, locked, actor.UserID, s.now()); err != nil {
			return err
		}
		g, err = s.store.group(ctx, groupID, false)
		return err
	})
	return g, err
}

// groupOf returns the group of a class a learner is in, nil when none.
func (s *Service) groupOf(ctx context.Context, classID, userID uuid.UUID) (*Group, error) {
	g, err := s.store.groupOfMember(ctx, classID, userID)
	if errors.Is(err, ErrGroupNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &g, nil
}
