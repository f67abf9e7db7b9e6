package assignment

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
)

type groupRow struct {
	ID         uuid.UUID `gorm:"primaryKey"`
	ClassID    uuid.UUID
	Name       string
	SelfSignup bool
	MaxSize    int
	CreatedBy  uuid.UUID
	CreatedAt  time.Time
}

func (groupRow) TableName() string { return "assignment_groups" }

type memberRow struct {
	GroupID  uuid.UUID
	ClassID  uuid.UUID
	UserID   uuid.UUID
	JoinedAt time.Time
}

func (memberRow) TableName() string { return "assignment_group_members" }

// memberConflict maps the constraints a group's members break to errors.
func memberConflict(err error) error {
	switch c, ok := database.UniqueViolation(err); {
	case ok && c == "assignment_group_members_one_group", ok && c == "assignment_group_members_pkey":
		return ErrAlreadyInGroup
	case ok && c == "assignment_groups_name_key":
		return ErrGroupNameTaken
	}
	return err
}

func (s store) createGroup(ctx context.Context, g Group, by uuid.UUID) error {
	conn := s.db.Conn(ctx)
	if err := conn.Create(&groupRow{ID: g.ID, ClassID: g.ClassID, Name: g.Name, SelfSignup: g.SelfSignup, MaxSize: g.MaxSize,
		CreatedBy: by, CreatedAt: g.CreatedAt}).Error; err != nil {
		return fmt.Errorf("create group: %w", memberConflict(err))
	}
	for _, m := range g.Members {
		if err := conn.Create(&memberRow{GroupID: g.ID, ClassID: g.ClassID, UserID: m, JoinedAt: g.CreatedAt}).Error; err != nil {
			return fmt.Errorf("add group member: %w", memberConflict(err))
		}
	}
	return nil
}

func (s store) addMember(ctx context.Context, g Group, userID uuid.UUID, at time.Time) error {
	err := s.db.Conn(ctx).Create(&memberRow{GroupID: g.ID, ClassID: g.ClassID, UserID: userID, JoinedAt: at}).Error
	if err != nil {
		return fmt.Errorf("join group: %w", memberConflict(err))
	}
	return nil
}

func (s store) group(ctx context.Context, id uuid.UUID, forUpdate bool) (Group, error) {
	var r groupRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrGroupNotFound, "get group %s", id); err != nil {
		return Group{}, err
	}
	gs, err := s.withMembers(ctx, []groupRow{r})
	if err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

func (s store) groups(ctx context.Context, classID uuid.UUID) ([]Group, error) {
	var rows []groupRow
	if err := s.db.Conn(ctx).Where("class_id = ?", classID).Order("name, id").Limit(1000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return s.withMembers(ctx, rows)
}

func (s store) groupOfMember(ctx context.Context, classID, userID uuid.UUID) (Group, error) {
	var r groupRow
	q := s.db.Conn(ctx).Where("id = (SELECT group_id FROM assignment_group_members WHERE class_id = ? AND user_id = ?)", classID, userID)
	if err := database.Take(q, &r, ErrGroupNotFound, "get group of %s", userID); err != nil {
		return Group{}, err
	}
	gs, err := s.withMembers(ctx, []groupRow{r})
	if err != nil {
		return Group{}, err
	}
	return gs[0], nil
}

func (s store) withMembers(ctx context.Context, rows []groupRow) ([]Group, error) {
	ids := make(database.UUIDArray, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var members []memberRow
	if err := s.db.Conn(ctx).Where("group_id = ANY(?::uuid[])", ids).Order("joined_at, user_id").Find(&members).Error; err != nil {
		return nil, fmt.Errorf("list group members: %w", err)
	}
	byGroup := map[uuid.UUID][]uuid.UUID{}
	for _, m := range members {
		byGroup[m.GroupID] = append(byGroup[m.GroupID], m.UserID)
	}
	out := make([]Group, len(rows))
	for i, r := range rows {
		out[i] = Group{ID: r.ID, ClassID: r.ClassID, Name: r.Name, SelfSignup: r.SelfSignup, MaxSize: r.MaxSize,
			Members: append([]uuid.UUID{}, byGroup[r.ID]...), CreatedAt: r.CreatedAt}
	}
	return out, nil
}
