package identity

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/database"
)

// The lookups in this file serve other domains, which authorize on their own
// terms (a supervisor assigning training, an institute running a class); so
// they do not authorize the caller.

// Person returns an active or inactive user by id.
func (s *Service) Person(ctx context.Context, id uuid.UUID) (User, error) {
	row, err := s.store.user(ctx, id)
	if err != nil {
		return User{}, err
	}
	return row.toUser(), nil
}

// PeopleUnderQuery returns a query of one column, id, selecting the active
// users whose home organisation lies in any of the subtrees at roots (none
// when roots is empty), except the user exclude. It is not run here: another
// domain embeds it as a subquery ("user_id IN (?)") in its own query, so a
// team of 200,000 people is filtered and paged by PostgreSQL instead of
// being loaded and sent back. The query is identity's SQL on identity's
// tables, built on ctx's connection (or transaction); the caller sees only
// that it yields user ids.
func (s *Service) PeopleUnderQuery(ctx context.Context, roots []string, exclude uuid.UUID) *gorm.DB {
	db := s.db.Conn(ctx)
	return db.Table("users").Select("users.id").
		Joins("JOIN organizations ON organizations.id = users.org_id").
		Where(database.UnderAnyPath(db, "organizations.path", roots)).
		Where("users.status = ? AND users.id <> ?", StatusActive, exclude)
}

// ActivePeopleIn returns the active users whose home organisation lies in
// the subtree of orgID.
func (s *Service) ActivePeopleIn(ctx context.Context, orgID uuid.UUID) ([]User, error) {
	org, err := s.store.org(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var rows []userRow
	err = s.store.usersWithPath(ctx).
		Where("organizations.path LIKE ? AND users.status = ?", database.EscapeLike(org.Path)+"%", StatusActive).
		Order("users.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("people in %s: %w", orgID, err)
	}
	return toUsers(rows), nil
}

// PeopleByNIP returns the users with the given NIPs, by NIP; unknown NIPs are absent.
func (s *Service) PeopleByNIP(ctx context.Context, nips []string) (map[string]User, error) {
	var rows []userRow
	if err := s.store.usersWithPath(ctx).Where("users.nip IN ?", nips).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("people by NIP: %w", err)
	}
	out := make(map[string]User, len(rows))
	for _, u := range toUsers(rows) {
		out[u.NIP] = u
	}
	return out, nil
}

func toUsers(rows []userRow) []User {
	users := make([]User, len(rows))
	for i, r := range rows {
		users[i] = r.toUser()
	}
	return users
}

// DirectReports returns the active users whose supervisor is supervisorID.
func (s *Service) DirectReports(ctx context.Context, supervisorID uuid.UUID) ([]User, error) {
	var rows []userRow
	err := s.store.usersWithPath(ctx).Where("users.supervisor_id = ? AND users.status = ?", supervisorID, StatusActive).
		Order("users.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("direct reports of %s: %w", supervisorID, err)
	}
	return toUsers(rows), nil
}

// OrgsUnder returns the ids of every organisation in the subtrees rooted at
// paths, for other domains that list their things by owner.
func (s *Service) OrgsUnder(ctx context.Context, paths []string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	db := s.db.Conn(ctx)
	if err := db.Model(&orgRow{}).Where(database.UnderAnyPath(db, "path", paths)).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("organisations under %v: %w", paths, err)
	}
	return ids, nil
}

// PeopleByID returns the users with the given ids, by id; unknown ids are absent.
func (s *Service) PeopleByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]User, error) {
	var rows []userRow
	if err := s.store.usersWithPath(ctx).Where("users.id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("people by id: %w", err)
	}
	out := make(map[uuid.UUID]User, len(rows))
	for _, u := range toUsers(rows) {
		out[u.ID] = u
	}
	return out, nil
}

// Organization returns an organisation without authorizing, for the domains
// that name one on what they produce (an institute on its certificates).
func (s *Service) Organization(ctx context.Context, id uuid.UUID) (Organization, error) {
	return s.store.org(ctx, id)
}
