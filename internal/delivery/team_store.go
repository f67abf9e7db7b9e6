package delivery

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// A team view's page is read in three steps, none of which joins
// identity's tables to every enrolment:
//
//  1. the enrolments under the caller's roots, by the learner key alone
//     (enrolments.learner_path): first among the newest teamWalk enrolments
//     (a team whose enrolments are recent fills its page there), else a
//     range on the index enrolments_learner_path, read index-only, of which
//     the newest are kept (a top-N sort);
//  2. identity's members query confirms the page's learners, for what the
//     key does not know: whether a learner is still active (a status change
//     is no event), and a learner whose transfer's event has not been
//     handled yet (a stale key can only hide an enrolment then, never show
//     one outside the team). A learner it drops makes step 1 read on;
//  3. the page's enrolments, with their classes, by id.
//
// Why step 1 is fenced off (OFFSET 0) instead of "ORDER BY id DESC LIMIT n"
// on the filter: PostgreSQL would walk the whole table newest first, checking
// each row's key, expecting a province's rows to turn up every few dozen;
// when a province's enrolments are all older than everyone else's it reads
// 122,000 rows (86 ms at 1M people) where the range reads the province's
// 18,000 index entries (11-19 ms). See docs/performance.md, "Team view with a
// learner key".

// teamScope is a team view's team: the learners whose unit lies under any
// of roots, other than the caller, whom identity's members query (the active
// people under the same roots) confirms.
type teamScope struct {
	roots   []string
	caller  uuid.UUID
	members *gorm.DB
}

// teamCandidate is an enrolment under the roots, before identity confirms
// its learner.
type teamCandidate struct {
	ID     uuid.UUID
	UserID uuid.UUID
}

// listTeamEnrolments lists a page of the enrolments of t's team.
func (s store) listTeamEnrolments(ctx context.Context, f EnrolmentFilter, t teamScope, req page.Request) ([]Enrolment, error) {
	_, after, hasAfter, err := database.After(req, database.KeyNone)
	if err != nil {
		return nil, err
	}
	_, desc := req.SortField()
	want := req.Limit + 1 // one more than a page tells page.Build there is a next one
	var ids []uuid.UUID
	for len(ids) < want {
		batch, err := s.teamCandidates(ctx, f, t, after, hasAfter, desc, want)
		if err != nil {
			return nil, err
		}
		confirmed, err := s.teamMembers(ctx, t, batch)
		if err != nil {
			return nil, err
		}
		for _, c := range batch {
			if confirmed[c.UserID] && len(ids) < want {
				ids = append(ids, c.ID)
			}
		}
		if len(batch) < want {
			break // nothing more under the roots
		}
		after, hasAfter = batch[len(batch)-1].ID, true
	}
	return s.enrolmentsByID(ctx, ids, desc)
}

// teamWalk is how many of the newest enrolments a team view reads before it
// takes the range on the learner key: a province's enrolments, interleaved
// with everyone else's as they are in use, fill a page within a few hundred
// rows (Jawa Timur holds one in thirteen), while its range at 4.3M people is
// 79,000 index entries (80 ms). A team too small or too old to fill a page
// within the walk costs the walk (a few ms) and then its range, which is
// then short or the only way.
const teamWalk = 2000

// teamCandidates returns up to n enrolments under t's roots matching f, in
// id order (newest first when desc), after the id after when hasAfter.
func (s store) teamCandidates(ctx context.Context, f EnrolmentFilter, t teamScope, after uuid.UUID, hasAfter, desc bool, n int) ([]teamCandidate, error) {
	db := s.db.Conn(ctx)
	order := "ASC"
	if desc {
		order = "DESC"
	}
	// The walk: the newest teamWalk enrolments (after the cursor), of which
	// those under the roots. When it finds n, no older enrolment can be among
	// the n newest, so they are the answer.
	recent := afterCursor(db.Table("enrolments").Select("id, user_id, learner_path, class_id, status"), after, hasAfter, desc).
		Order("id " + order).Limit(teamWalk)
	walked, err := s.teamUnder(db, db.Table("(?) AS enrolments", recent), f, t, order, n)
	if err != nil || len(walked) == n {
		return walked, err
	}
	return s.teamUnder(db, afterCursor(db.Table("enrolments"), after, hasAfter, desc), f, t, order, n)
}

// teamUnder returns up to n of the enrolments of from under t's roots
// matching f, in id order. The selection is fenced off (OFFSET 0) so that on
// the enrolments table PostgreSQL takes the range on the learner key and
// keeps the newest, instead of walking the whole table in id order.
func (s store) teamUnder(db, from *gorm.DB, f EnrolmentFilter, t teamScope, order string, n int) ([]teamCandidate, error) {
	under := f.where(from.Select("enrolments.id, enrolments.user_id").
		Where(database.UnderAnyPath(db, "enrolments.learner_path", t.roots)).
		Where("enrolments.user_id <> ?", t.caller))
	var out []teamCandidate
	err := db.Raw("SELECT id, user_id FROM (? OFFSET 0) AS under_roots ORDER BY id "+order+" LIMIT ?", under, n).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("team enrolments under %d roots: %w", len(t.roots), err)
	}
	return out, nil
}

// afterCursor narrows q to the enrolments after the cursor's id.
func afterCursor(q *gorm.DB, after uuid.UUID, hasAfter, desc bool) *gorm.DB {
	switch {
	case hasAfter && desc:
		return q.Where("id < ?", after)
	case hasAfter:
		return q.Where("id > ?", after)
	}
	return q
}

// teamMembers returns which of the candidates' learners identity's members
// query selects.
func (s store) teamMembers(ctx context.Context, t teamScope, cs []teamCandidate) (map[uuid.UUID]bool, error) {
	learners := make([]uuid.UUID, 0, len(cs))
	for _, c := range cs {
		if !slices.Contains(learners, c.UserID) {
			learners = append(learners, c.UserID)
		}
	}
	out := make(map[uuid.UUID]bool, len(learners))
	if len(learners) == 0 {
		return out, nil
	}
	var members []uuid.UUID
	err := s.db.Conn(ctx).Table("(?) AS team", t.members).Where("team.id IN ?", learners).Pluck("team.id", &members).Error
	if err != nil {
		return nil, fmt.Errorf("confirm the team's learners: %w", err)
	}
	for _, id := range members {
		out[id] = true
	}
	return out, nil
}

// enrolmentsByID returns the enrolments with ids and their classes, in id
// order (newest first when desc).
func (s store) enrolmentsByID(ctx context.Context, ids []uuid.UUID, desc bool) ([]Enrolment, error) {
	if len(ids) == 0 {
		return []Enrolment{}, nil
	}
	order := "enrolments.id ASC"
	if desc {
		order = "enrolments.id DESC"
	}
	var rows []enrolmentRow
	if err := s.enrolmentsWithClass(ctx).Where("enrolments.id IN ?", ids).Order(order).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list team enrolments: %w", err)
	}
	out := make([]Enrolment, len(rows))
	for i, r := range rows {
		out[i] = r.toEnrolment()
	}
	return out, nil
}
