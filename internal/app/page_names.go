package app

import (
	"context"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/apperr"
)

// pageNames gives the assignment and gradebook pages the words for the ids
// their services return: course items' titles (as the caller may read the
// version's outline) and people's names. Pages ask only after their service
// authorized the caller for the class.
type pageNames struct {
	courses  *course.Service
	delivery *delivery.Service
	people   *identity.Service
}

// ItemTitles returns the titles of a version's items; a version the caller
// may not read as a course (a class's staff from another institute) has no
// titles to show, and the pages fall back to the item's kind.
func (n pageNames) ItemTitles(ctx context.Context, versionID uuid.UUID) (map[uuid.UUID]string, error) {
	v, err := n.courses.Version(ctx, versionID)
	if k := apperr.KindOf(err); k == apperr.KindNotFound || k == apperr.KindForbidden {
		return map[uuid.UUID]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID]string{}
	for _, m := range v.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				out[it.ID] = it.Title
			}
		}
	}
	return out, nil
}

// ClassItemTitles returns the titles of a class's course items by id.
func (n pageNames) ClassItemTitles(ctx context.Context, classID uuid.UUID) (map[string]string, error) {
	c, err := n.delivery.ClassFacts(ctx, classID)
	if err != nil {
		return nil, err
	}
	titles, err := n.ItemTitles(ctx, c.VersionID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(titles))
	for id, t := range titles {
		out[id.String()] = t
	}
	return out, nil
}

// PeopleNames returns users' names by id.
func (n pageNames) PeopleNames(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	users, err := n.people.PeopleByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, u := range users {
		out[id] = u.Name
	}
	return out, nil
}
