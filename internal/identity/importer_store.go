package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
)

// Lists travel as one array parameter each (database.Array), so a
// statement over a batch of rows has a handful of parameters however large
// the batch. Ids are sent as text and cast: ?::uuid[].

// pgUUID is an optional id as an element of a uuid[] parameter: pgx sends
// it in binary, where a text element would go through its text form.
func pgUUID(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgtype.UUID{Bytes: *id, Valid: true}
}

// existingUser is what an import compares a row with.
type existingUser struct {
	ID             uuid.UUID
	NIP            *string `gorm:"column:nip"`
	Name           string
	Email          string
	Phone          *string
	PositionTitle  *string
	PositionType   *string
	FunctionalPost *string
	Grade          *string
	OrgID          uuid.UUID
	WorkUnitID     *uuid.UUID
	SupervisorID   *uuid.UUID
	OrgPath        string
	WorkUnitPath   *string
}

// importExisting returns the people who hold any of nips or emails, locked
// for the rest of the transaction when lock is set. The lists are joined
// rather than tested with = ANY, so the cost stays linear whatever plan the
// statistics of a table that is still filling up suggest.
func (s store) importExisting(ctx context.Context, nips, emails []string, lock bool) ([]existingUser, error) {
	q := `SELECT u.id, u.nip, u.name, u.email, u.phone, u.position_title, u.position_type, u.functional_post, u.grade,
			u.org_id, u.work_unit_id, u.supervisor_id, o.path AS org_path, w.path AS work_unit_path
		FROM users u
		JOIN organizations o ON o.id = u.org_id
		LEFT JOIN organizations w ON w.id = u.work_unit_id
		WHERE u.id IN (
			SELECT n.id FROM users n JOIN unnest(?::text[]) AS k(nip) ON n.nip = k.nip
			UNION
			SELECT e.id FROM users e JOIN unnest(?::text[]) AS k(email) ON lower(e.email) = k.email)
		ORDER BY u.id`
	if lock {
		q += " FOR UPDATE OF u" // in id order, so two imports of the same people wait rather than deadlock
	}
	var rows []existingUser
	if err := s.db.Conn(ctx).Raw(q, database.TextArray(nips), database.TextArray(emails)).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find people of an import batch: %w", err)
	}
	return rows, nil
}

// importUpdatable are the columns an import may set; the optional ones only
// when the file has them.
var importUpdatable = [numColumns]string{
	colName: "name", colEmail: "email", colPhone: "phone", colPositionTitle: "position_title",
	colPositionType: "position_type", colFunctionalPost: "functional_post", colGrade: "grade",
}

// writeImported writes the batch's people: the new ones with a plain
// INSERT, the changed ones with upsertImported. The new ones need no
// ON CONFLICT: importExisting found nobody with their NIP, and one who came
// in since (a concurrent change) makes the insert fail with a unique
// violation, after which flush writes the batch again and finds them. The
// conflict check made the people's statement a sixth dearer for rows that
// never conflict (measured with EXPLAIN ANALYZE: 37 against 45 ms a
// thousand new people, the least of twelve runs each).
func (s store) writeImported(ctx context.Context, rows []batchRow, cols *columns, root string, now time.Time) error {
	created := make([]batchRow, 0, len(rows))
	var updated []batchRow
	for _, row := range rows {
		if row.existing == nil {
			created = append(created, row)
		} else {
			updated = append(updated, row)
		}
	}
	if len(created) > 0 {
		q := importInsert + " FROM " + importUnnest
		if err := s.db.Conn(ctx).Exec(q, importArgs(created, now)...).Error; err != nil {
			return fmt.Errorf("insert imported people: %w", err)
		}
	}
	if len(updated) > 0 {
		return s.upsertImported(ctx, updated, cols, root, now)
	}
	return nil
}

// importInsert and importUnnest are the two halves of the statements that
// write a batch's people; importArgs gives their parameters.
const (
	importInsert = `INSERT INTO users (id, nip, name, email, phone, position_title, position_type, functional_post, grade,
			org_id, work_unit_id, supervisor_id, status, created_at, updated_at)
		SELECT id, nip, name, email, phone, position_title, position_type, functional_post, grade, org_id, work_unit_id, supervisor_id,
			?::text, ?::timestamptz, ?::timestamptz`
	importUnnest = `unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::uuid[], ?::uuid[], ?::uuid[])
			AS v(id, nip, name, email, phone, position_title, position_type, functional_post, grade, org_id, work_unit_id, supervisor_id)`
)

// importArgs are the parameters of importInsert and importUnnest: each
// column travels as one array parameter, so a batch of a thousand people is
// a dozen parameters, not twelve thousand.
func importArgs(rows []batchRow, now time.Time) []any {
	n := len(rows)
	ids, nips, names, emails := make(database.UUIDArray, n), make(database.TextArray, n), make(database.TextArray, n), make(database.TextArray, n)
	phones, titles, types := make(database.Array[*string], n), make(database.Array[*string], n), make(database.Array[*string], n)
	posts, grades := make(database.Array[*string], n), make(database.Array[*string], n)
	orgs, units, sups := make(database.UUIDArray, n), make(database.Array[pgtype.UUID], n), make(database.Array[pgtype.UUID], n)
	for i, row := range rows {
		in := &row.in
		ids[i], nips[i], names[i], emails[i] = row.userID, in.NIP, in.Name, in.Email
		phones[i], titles[i], types[i] = database.NullIfEmpty(in.Phone), database.NullIfEmpty(in.PositionTitle), database.NullIfEmpty(string(in.PositionType))
		posts[i], grades[i] = database.NullIfEmpty(in.FunctionalPost), database.NullIfEmpty(in.Grade)
		orgs[i], units[i], sups[i] = in.OrgID, pgUUID(row.workUnitID), pgUUID(row.supervisorID)
	}
	return []any{string(StatusActive), now, now, ids, nips, names, emails, phones, titles, types, posts, grades, orgs, units, sups}
}

// upsertImported updates people by NIP in one statement (creating any who
// are missing). An update never reaches a person outside the subtree at
// root, and changes nothing when nothing differs.
func (s store) upsertImported(ctx context.Context, rows []batchRow, cols *columns, root string, now time.Time) error {
	var b strings.Builder
	b.WriteString(importInsert + " FROM " + importUnnest)
	args := importArgs(rows, now)
	set := []string{"org_id", "work_unit_id"}
	if cols.has(colSupervisor) {
		set = append(set, "supervisor_id")
	}
	for col, name := range importUpdatable {
		if name != "" && cols.has(col) {
			set = append(set, name)
		}
	}
	b.WriteString(" ON CONFLICT (nip) DO UPDATE SET ")
	var old, next strings.Builder
	for i, name := range set {
		if i > 0 {
			b.WriteString(", ")
			old.WriteString(", ")
			next.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = EXCLUDED.%s", name, name)
		fmt.Fprintf(&old, "users.%s", name)
		fmt.Fprintf(&next, "EXCLUDED.%s", name)
	}
	// A new address must be verified again.
	b.WriteString(`, email_verified_at = CASE WHEN lower(users.email) = lower(EXCLUDED.email) THEN users.email_verified_at END`)
	b.WriteString(", updated_at = EXCLUDED.updated_at WHERE (")
	b.WriteString(old.String())
	b.WriteString(") IS DISTINCT FROM (")
	b.WriteString(next.String())
	b.WriteString(`) AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = users.org_id AND o.path LIKE ?)`)
	args = append(args, database.EscapeLike(root)+"%")
	if err := s.db.Conn(ctx).Exec(b.String(), args...).Error; err != nil {
		return fmt.Errorf("upsert imported people: %w", err)
	}
	return nil
}

func (s store) createTransfers(ctx context.Context, ts []Transfer) error {
	if len(ts) == 0 {
		return nil
	}
	rows := make([]transferRow, len(ts))
	for i, t := range ts {
		rows[i] = transferRow(t)
	}
	if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("record transfers: %w", err)
	}
	return nil
}

// userIDsByNIP finds the people with nips whom actor may see (where they
// may read users), so an import cannot tell whether a NIP exists elsewhere.
func (s store) userIDsByNIP(ctx context.Context, nips []string, actor *authz.Actor) (map[string]uuid.UUID, error) {
	out := make(map[string]uuid.UUID, len(nips))
	roots, all := actor.Roots(authz.UserRead)
	if len(nips) == 0 || (!all && len(roots) == 0) {
		return out, nil
	}
	var rows []struct {
		ID  uuid.UUID
		NIP string `gorm:"column:nip"`
	}
	q, args := `SELECT u.id, u.nip FROM users u JOIN unnest(?::text[]) AS k(nip) ON u.nip = k.nip
		JOIN organizations o ON o.id = u.org_id`, []any{database.TextArray(nips)}
	if !all {
		likes := make([]string, len(roots))
		for i, root := range roots {
			likes[i] = "o.path LIKE ?"
			args = append(args, database.EscapeLike(root)+"%")
		}
		q += " WHERE " + strings.Join(likes, " OR ")
	}
	if err := s.db.Conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find supervisors: %w", err)
	}
	for _, r := range rows {
		out[r.NIP] = r.ID
	}
	return out, nil
}

// clearSupervisorsOutsideLine clears the supervisor of each of the users
// whose supervisor is not in their line: their organisation or above it.
func (s store) clearSupervisorsOutsideLine(ctx context.Context, userIDs []uuid.UUID) error {
	if len(userIDs) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Exec(`UPDATE users u SET supervisor_id = NULL
		FROM organizations o, users sup JOIN organizations so ON so.id = sup.org_id
		WHERE u.id = ANY(?::uuid[]) AND o.id = u.org_id AND sup.id = u.supervisor_id AND NOT starts_with(o.path, so.path)`, database.UUIDArray(userIDs)).Error
	if err != nil {
		return fmt.Errorf("clear supervisors outside the line: %w", err)
	}
	return nil
}

// supervisorSet links a person to a supervisor.
type supervisorSet struct {
	user, supervisor uuid.UUID
}

// setSupervisors applies links to people inside the subtree at root in one
// statement and returns the people whose supervisor changed.
func (s store) setSupervisors(ctx context.Context, links []supervisorSet, root string) ([]uuid.UUID, error) {
	users, sups := make(database.UUIDArray, len(links)), make(database.UUIDArray, len(links))
	for i, l := range links {
		users[i], sups[i] = l.user, l.supervisor
	}
	var changed []uuid.UUID
	err := s.db.Conn(ctx).Raw(`UPDATE users u SET supervisor_id = v.sup, updated_at = now()
		FROM unnest(?::uuid[], ?::uuid[]) AS v(id, sup)
		WHERE u.id = v.id AND u.supervisor_id IS DISTINCT FROM v.sup AND u.id <> v.sup
		AND EXISTS (SELECT 1 FROM organizations o WHERE o.id = u.org_id AND o.path LIKE ?
			AND EXISTS (SELECT 1 FROM users s JOIN organizations so ON so.id = s.org_id
				WHERE s.id = v.sup AND starts_with(o.path, so.path)))
		RETURNING u.id`, users, sups, database.EscapeLike(root)+"%").Scan(&changed).Error
	if err != nil {
		return nil, fmt.Errorf("link supervisors: %w", err)
	}
	return changed, nil
}
