package delivery

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

func (s store) enrolmentsWithClass(ctx context.Context) *gorm.DB {
	return s.db.Conn(ctx).Table("enrolments").
		Select("enrolments.*, classes.title AS class_title, classes.version_id, classes.course_id").
		Joins("JOIN classes ON classes.id = enrolments.class_id")
}

// enrolmentBatch bounds the rows of one INSERT (15 parameters each, well
// under PostgreSQL's 65535).
const enrolmentBatch = 500

// createEnrolments records new enrolments, many rows per statement.
func (s store) createEnrolments(ctx context.Context, es []Enrolment) error {
	if len(es) == 0 {
		return nil
	}
	rows := make([]enrolmentRow, len(es))
	for i, e := range es {
		rows[i] = toEnrolmentRow(e)
	}
	if err := s.db.Conn(ctx).Omit("ClassTitle", "VersionID", "CourseID").CreateInBatches(&rows, enrolmentBatch).Error; err != nil {
		return fmt.Errorf("create enrolments: %w", translate(err))
	}
	return nil
}

func (s store) updateEnrolment(ctx context.Context, e Enrolment) error {
	r := toEnrolmentRow(e)
	err := s.db.Conn(ctx).Model(&enrolmentRow{}).Where("id = ?", e.ID).Updates(map[string]any{
		"status": r.Status, "assigned_by": r.AssignedBy, "decided_by": r.DecidedBy, "decided_at": r.DecidedAt,
		"path_enrolment_id": r.PathEnrolmentID, "progress": r.Progress, "activated_at": r.ActivatedAt,
		"completed_at": r.CompletedAt, "withdrawn_at": r.WithdrawnAt, "updated_at": r.UpdatedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update enrolment: %w", err)
	}
	return nil
}

// enrolment returns an enrolment; lock takes its row lock until the
// transaction ends.
func (s store) enrolment(ctx context.Context, id uuid.UUID, lock bool) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).Where("enrolments.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "enrolments"}})
	}
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get enrolment %s", id); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// lockEnrolments returns the enrolments with the given ids under their row
// locks, taken in id order so that two callers never deadlock.
func (s store) lockEnrolments(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Enrolment, error) {
	out := map[uuid.UUID]Enrolment{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).Where("enrolments.id = ANY(?::uuid[])", database.UUIDArray(ids)).
		Order("enrolments.id").Clauses(clause.Locking{Strength: "UPDATE", Table: clause.Table{Name: "enrolments"}}).
		Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("lock enrolments: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.toEnrolment()
	}
	return out, nil
}

// liveSQL holds for a live enrolment: one neither withdrawn nor rejected (a
// learner has at most one live enrolment in a class: enrolments_live_key).
const liveSQL = "enrolments.status NOT IN ('withdrawn', 'rejected')"

// liveEnrolment returns the learner's live enrolment in a class, or ErrEnrolmentNotFound.
func (s store) liveEnrolment(ctx context.Context, classID, userID uuid.UUID) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).
		Where("enrolments.class_id = ? AND enrolments.user_id = ? AND "+liveSQL, classID, userID)
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get enrolment"); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// liveEnrolments returns the live enrolments in a class of the given users, by user.
func (s store) liveEnrolments(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]Enrolment, error) {
	out := map[uuid.UUID]Enrolment{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).
		Where("enrolments.class_id = ? AND enrolments.user_id = ANY(?::uuid[]) AND "+liveSQL,
			classID, database.UUIDArray(userIDs)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("get enrolments: %w", err)
	}
	for _, r := range rows {
		out[r.UserID] = r.toEnrolment()
	}
	return out, nil
}

// hasEnrolment reports whether the user has ever been enrolled in the class
// (in any status), which lets them see an assigned-only class.
func (s store) hasEnrolment(ctx context.Context, classID, userID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw("SELECT EXISTS (SELECT 1 FROM enrolments WHERE class_id = ? AND user_id = ?)", classID, userID).Scan(&found).Error
	return found, err
}

func (s store) seatsTaken(ctx context.Context, classID uuid.UUID) (int, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&enrolmentRow{}).Where("class_id = ? AND status IN ?", classID, seatStatuses).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count seats: %w", err)
	}
	return int(n), nil
}

// waitlisted returns up to n of a class's wait list, first come first.
func (s store) waitlisted(ctx context.Context, classID uuid.UUID, n int) ([]Enrolment, error) {
	var rows []enrolmentRow
	err := s.enrolmentsWithClass(ctx).Where("enrolments.class_id = ? AND enrolments.status = 'waitlisted'", classID).
		Order("enrolments.enrolled_at, enrolments.id").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list wait list: %w", err)
	}
	out := make([]Enrolment, len(rows))
	for i, r := range rows {
		out[i] = r.toEnrolment()
	}
	return out, nil
}

// enrolmentScope is which enrolments a list may return.
type enrolmentScope struct {
	userIDs []uuid.UUID // when not nil, only these learners'
	// team, when set, keeps the enrolments of the learners under its roots.
	team *teamScope
}

// where narrows a query of enrolments to the filter's class, learner and status.
func (f EnrolmentFilter) where(q *gorm.DB) *gorm.DB {
	if f.ClassID != uuid.Nil {
		q = q.Where("enrolments.class_id = ?", f.ClassID)
	}
	if f.UserID != uuid.Nil {
		q = q.Where("enrolments.user_id = ?", f.UserID)
	}
	if f.Status != "" {
		q = q.Where("enrolments.status = ?", f.Status)
	}
	return q
}

func (s store) listEnrolments(ctx context.Context, f EnrolmentFilter, scope enrolmentScope, req page.Request) ([]Enrolment, error) {
	q := s.enrolmentsWithClass(ctx)
	if scope.userIDs != nil {
		q = q.Where("enrolments.user_id = ANY(?::uuid[])", database.UUIDArray(scope.userIDs))
	}
	if scope.team != nil {
		return s.listTeamEnrolments(ctx, f, *scope.team, req)
	}
	q, err := database.Keyset(f.where(q), "", database.KeyNone, "enrolments.id", req)
	if err != nil {
		return nil, err
	}
	var rows []enrolmentRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list enrolments: %w", err)
	}
	out := make([]Enrolment, len(rows))
	for i, r := range rows {
		out[i] = r.toEnrolment()
	}
	return out, nil
}

// learning reports whether the user is active in or has completed a class of the version.
func (s store) learning(ctx context.Context, userID, versionID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM enrolments e JOIN classes c ON c.id = e.class_id
		WHERE e.user_id = ? AND c.version_id = ? AND e.status IN ('active', 'completed'))`, userID, versionID).Scan(&found).Error
	if err != nil {
		return false, fmt.Errorf("check enrolment: %w", err)
	}
	return found, nil
}

// courseEnrolment returns the user's most advanced live enrolment in any
// class of a course (completed before active before the rest), or ErrEnrolmentNotFound.
func (s store) courseEnrolment(ctx context.Context, userID, courseID uuid.UUID) (Enrolment, error) {
	var r enrolmentRow
	q := s.enrolmentsWithClass(ctx).
		Where("enrolments.user_id = ? AND classes.course_id = ? AND "+liveSQL, userID, courseID).
		Order(`CASE enrolments.status WHEN 'completed' THEN 0 WHEN 'active' THEN 1 ELSE 2 END, enrolments.id`)
	if err := database.Take(q, &r, ErrEnrolmentNotFound, "get course enrolment"); err != nil {
		return Enrolment{}, err
	}
	return r.toEnrolment(), nil
}

// recordEvent stores an event once per enrolment, item and kind; a replay
// keeps the first time and the best value.
func (s store) recordEvent(ctx context.Context, r progressEventRow) error {
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		OnConstraint: "progress_events_once",
		DoUpdates: clause.Set{{Column: clause.Column{Name: "value"},
			Value: gorm.Expr("GREATEST(progress_events.value, excluded.value)")}},
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("record progress event: %w", err)
	}
	return nil
}

func (s store) completeItem(ctx context.Context, enrolmentID, itemID uuid.UUID, at time.Time) error {
	r := itemProgressRow{EnrolmentID: enrolmentID, ItemID: itemID, CompletedAt: at}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
		return fmt.Errorf("complete item: %w", err)
	}
	return nil
}

// uncompleteItem deletes an item's completion and reports whether there was one.
func (s store) uncompleteItem(ctx context.Context, enrolmentID, itemID uuid.UUID) (bool, error) {
	res := s.db.Conn(ctx).Where("enrolment_id = ? AND item_id = ?", enrolmentID, itemID).Delete(&itemProgressRow{})
	if res.Error != nil {
		return false, fmt.Errorf("uncomplete item: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

func (s store) completedItems(ctx context.Context, enrolmentID uuid.UUID) (map[uuid.UUID]time.Time, error) {
	done, err := s.completedItemsOf(ctx, []uuid.UUID{enrolmentID})
	if err != nil {
		return nil, err
	}
	if done[enrolmentID] == nil {
		return map[uuid.UUID]time.Time{}, nil
	}
	return done[enrolmentID], nil
}

// completedItemsOf returns the items each enrolment completed, with when,
// in one query; an enrolment that completed none is absent.
func (s store) completedItemsOf(ctx context.Context, enrolmentIDs []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]time.Time, error) {
	out := map[uuid.UUID]map[uuid.UUID]time.Time{}
	if len(enrolmentIDs) == 0 {
		return out, nil
	}
	var rows []itemProgressRow
	if err := s.db.Conn(ctx).Where("enrolment_id = ANY(?::uuid[])", database.UUIDArray(enrolmentIDs)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list completed items: %w", err)
	}
	for _, r := range rows {
		if out[r.EnrolmentID] == nil {
			out[r.EnrolmentID] = map[uuid.UUID]time.Time{}
		}
		out[r.EnrolmentID][r.ItemID] = r.CompletedAt.UTC()
	}
	return out, nil
}

// creditJP credits a completed enrolment's JP to the learner's ledger,
// exactly once per enrolment; it reports whether it credited.
func (s store) creditJP(ctx context.Context, c jpCreditRow) (bool, error) {
	tx := s.db.Conn(ctx)
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c)
	if res.Error != nil {
		return false, fmt.Errorf("record jp credit: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	err := tx.Exec(`INSERT INTO jp_ledger (user_id, year, jp, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, year) DO UPDATE SET jp = jp_ledger.jp + excluded.jp, updated_at = excluded.updated_at`,
		c.UserID, c.Year, c.JP, c.CreditedAt).Error
	if err != nil {
		return false, fmt.Errorf("credit jp ledger: %w", err)
	}
	return true, nil
}

func (s store) ledger(ctx context.Context, userID uuid.UUID, year int) (JPLedger, error) {
	l := JPLedger{UserID: userID, Year: year}
	var row jpLedgerRow
	err := s.db.Conn(ctx).Where("user_id = ? AND year = ?", userID, year).Take(&row).Error
	switch {
	case database.IsNotFound(err):
	case err != nil:
		return JPLedger{}, fmt.Errorf("get jp ledger: %w", err)
	default:
		l.JP = row.JP
	}
	var credits []jpCreditRow
	if err := s.db.Conn(ctx).Where("user_id = ? AND year = ?", userID, year).Order("credited_at, enrolment_id").Find(&credits).Error; err != nil {
		return JPLedger{}, fmt.Errorf("list jp credits: %w", err)
	}
	for _, c := range credits {
		l.Credits = append(l.Credits, JPCredit{EnrolmentID: c.EnrolmentID, ClassID: c.ClassID, VersionID: c.VersionID,
			Year: c.Year, JP: c.JP, CreditedAt: c.CreditedAt.UTC()})
	}
	return l, nil
}
