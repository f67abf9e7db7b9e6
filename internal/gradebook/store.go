package gradebook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// store holds the gradebook's SQL.
type store struct{ db *database.DB }

type settingsRow struct {
	ClassID    uuid.UUID `gorm:"primaryKey"`
	PassMark   float64
	Categories []byte `gorm:"type:jsonb"`
	Revision   int
	UpdatedBy  uuid.UUID
	UpdatedAt  time.Time
}

func (settingsRow) TableName() string { return "gradebook_settings" }

// categoryDoc is a category as the settings' jsonb column keeps it.
type categoryDoc struct {
	Key        string   `json:"key"`
	Name       string   `json:"name"`
	Weight     float64  `json:"weight"`
	DropLowest int      `json:"drop_lowest"`
	Items      []string `json:"items"`
}

type gradeRow struct {
	ClassID    uuid.UUID `gorm:"primaryKey"`
	UserID     uuid.UUID `gorm:"primaryKey"`
	Item       string    `gorm:"primaryKey"`
	Kind       string
	Percent    float64
	Passed     bool
	ReleasedAt time.Time
}

func (gradeRow) TableName() string { return "gradebook_grades" }

type overrideRow struct {
	ClassID uuid.UUID `gorm:"primaryKey"`
	UserID  uuid.UUID `gorm:"primaryKey"`
	Item    string    `gorm:"primaryKey"`
	Percent float64
	Reason  string
	SetBy   uuid.UUID
	SetAt   time.Time
}

func (overrideRow) TableName() string { return "gradebook_overrides" }

type resultRow struct {
	ClassID      uuid.UUID `gorm:"primaryKey"`
	UserID       uuid.UUID `gorm:"primaryKey"`
	FinalPercent *float64
	Passed       bool
	Items        []byte `gorm:"type:jsonb"`
	Revision     int
	Seq          int64
	ComputedAt   time.Time
}

func (resultRow) TableName() string { return "gradebook_rows" }

// itemDoc is an item of a row as the rows' jsonb column keeps it.
type itemDoc struct {
	Item       string   `json:"item"`
	Kind       string   `json:"kind"`
	Category   string   `json:"category,omitempty"`
	Percent    *float64 `json:"percent"`
	Overridden bool     `json:"overridden,omitempty"`
	Dropped    bool     `json:"dropped,omitempty"`
}

// rowDoc is the jsonb column of a row: what is shown and never queried.
type rowDoc struct {
	FinalOverridden bool      `json:"final_overridden,omitempty"`
	Items           []itemDoc `json:"items"`
}

func toResultRow(r Row) (resultRow, error) {
	doc := rowDoc{FinalOverridden: r.FinalOverridden, Items: make([]itemDoc, len(r.Items))}
	for i, it := range r.Items {
		doc.Items[i] = itemDoc{Item: it.Item, Kind: it.Kind, Category: it.Category, Percent: it.Percent, Overridden: it.Overridden, Dropped: it.Dropped}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		return resultRow{}, fmt.Errorf("encode gradebook row: %w", err)
	}
	return resultRow{ClassID: r.ClassID, UserID: r.UserID, FinalPercent: r.FinalPercent, Passed: r.Passed, Items: body,
		Revision: r.Revision, Seq: r.Seq, ComputedAt: r.ComputedAt}, nil
}

func (r resultRow) toRow() (Row, error) {
	var doc rowDoc
	if err := json.Unmarshal(r.Items, &doc); err != nil {
		return Row{}, fmt.Errorf("decode gradebook row: %w", err)
	}
	out := Row{ClassID: r.ClassID, UserID: r.UserID, FinalPercent: r.FinalPercent, FinalOverridden: doc.FinalOverridden,
		Passed: r.Passed, Revision: r.Revision, Seq: r.Seq, ComputedAt: r.ComputedAt.UTC(), Items: make([]ItemResult, len(doc.Items))}
	for i, it := range doc.Items {
		out.Items[i] = ItemResult{Item: it.Item, Kind: it.Kind, Category: it.Category, Percent: it.Percent, Overridden: it.Overridden, Dropped: it.Dropped}
	}
	return out, nil
}

// lockLearner serialises the recomputes of one learner's row in a class
// for the rest of the transaction, so two grades arriving at once both end
// up in it; it shares the class's lock, so a class recompute waits for it.
func (s store) lockLearner(ctx context.Context, classID, userID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0)), pg_advisory_xact_lock(hashtextextended(?, 0))",
		"gradebook:"+classID.String(), "gradebook:"+classID.String()+":"+userID.String()).Error
	if err != nil {
		return fmt.Errorf("lock gradebook row: %w", err)
	}
	return nil
}

// lockLearners is lockLearner for many learners of a class, in the order
// given (callers sort them, so two batches never wait on each other in a
// cycle), in one round trip.
func (s store) lockLearners(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) error {
	key := "gradebook:" + classID.String()
	err := s.db.Conn(ctx).Exec(`SELECT pg_advisory_xact_lock_shared(hashtextextended(?, 0)),
			(SELECT count(pg_advisory_xact_lock(hashtextextended(? || ':' || u::text, 0)))
			 FROM (SELECT u FROM unnest(?::uuid[]) WITH ORDINALITY AS t(u, n) ORDER BY n) l)`,
		key, key, database.UUIDArray(userIDs)).Error
	if err != nil {
		return fmt.Errorf("lock %d gradebook rows: %w", len(userIDs), err)
	}
	return nil
}

// lockClass serialises a class's settings changes and class recomputes
// with every learner's recompute.
func (s store) lockClass(ctx context.Context, classID uuid.UUID) error {
	if err := s.db.Conn(ctx).Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "gradebook:"+classID.String()).Error; err != nil {
		return fmt.Errorf("lock gradebook: %w", err)
	}
	return nil
}

func (s store) settings(ctx context.Context, classID uuid.UUID) (Settings, error) {
	var rows []settingsRow
	if err := s.db.Conn(ctx).Where("class_id = ?", classID).Limit(1).Find(&rows).Error; err != nil {
		return Settings{}, fmt.Errorf("read gradebook settings: %w", err)
	}
	if len(rows) == 0 {
		return Settings{}, nil
	}
	var docs []categoryDoc
	if err := json.Unmarshal(rows[0].Categories, &docs); err != nil {
		return Settings{}, fmt.Errorf("decode gradebook categories: %w", err)
	}
	st := Settings{Configured: true, PassMark: rows[0].PassMark, Revision: rows[0].Revision, UpdatedAt: rows[0].UpdatedAt.UTC(),
		Categories: make([]Category, len(docs))}
	for i, d := range docs {
		st.Categories[i] = Category{Key: d.Key, Name: d.Name, Weight: d.Weight, DropLowest: d.DropLowest, Items: d.Items}
	}
	return st, nil
}

// saveSettings writes a class's settings with the next revision and
// returns that revision.
func (s store) saveSettings(ctx context.Context, classID, by uuid.UUID, st Settings, at time.Time) (int, error) {
	docs := make([]categoryDoc, len(st.Categories))
	for i, c := range st.Categories {
		docs[i] = categoryDoc{Key: c.Key, Name: c.Name, Weight: c.Weight, DropLowest: c.DropLowest, Items: c.Items}
	}
	body, err := json.Marshal(docs)
	if err != nil {
		return 0, fmt.Errorf("encode gradebook categories: %w", err)
	}
	var revision int
	err = s.db.Conn(ctx).Raw(`INSERT INTO gradebook_settings (class_id, pass_mark, categories, revision, updated_by, updated_at)
		VALUES (?, ?, ?, 1, ?, ?)
		ON CONFLICT (class_id) DO UPDATE SET pass_mark = excluded.pass_mark, categories = excluded.categories,
			revision = gradebook_settings.revision + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at
		RETURNING revision`, classID, st.PassMark, body, by, at).Scan(&revision).Error
	if err != nil {
		return 0, fmt.Errorf("save gradebook settings: %w", err)
	}
	return revision, nil
}

// saveGrade keeps a grade unless a later one is kept already; it reports
// whether it changed anything.
func (s store) saveGrade(ctx context.Context, r gradeRow) (bool, error) {
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "user_id"}, {Name: "item"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "percent", "passed", "released_at"}),
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: `gradebook_grades.released_at <= excluded.released_at AND
			(gradebook_grades.percent, gradebook_grades.passed, gradebook_grades.released_at) IS DISTINCT FROM (excluded.percent, excluded.passed, excluded.released_at)`}}},
	}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("save grade: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// saveGrades keeps the grades of many learners for one item, each unless a
// later one is kept already.
func (s store) saveGrades(ctx context.Context, rows []gradeRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "user_id"}, {Name: "item"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "percent", "passed", "released_at"}),
		Where:     clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "gradebook_grades.released_at <= excluded.released_at"}}},
	}).CreateInBatches(&rows, 1000).Error
	if err != nil {
		return fmt.Errorf("save grades: %w", err)
	}
	return nil
}

func (s store) saveOverride(ctx context.Context, r overrideRow) error {
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "user_id"}, {Name: "item"}},
		DoUpdates: clause.AssignmentColumns([]string{"percent", "reason", "set_by", "set_at"}),
	}).Create(&r).Error
	if err != nil {
		return fmt.Errorf("save override: %w", err)
	}
	return nil
}

func (s store) override(ctx context.Context, classID, userID uuid.UUID, item string) (*overrideRow, error) {
	var rows []overrideRow
	if err := s.db.Conn(ctx).Where("class_id = ? AND user_id = ? AND item = ?", classID, userID, item).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read override: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// learnerGrades reads the grades and overrides of learners in a class (all
// of them when userIDs is nil), by learner and item. The grades are scanned
// row by row: a whole class holds hundreds of thousands.
func (s store) learnerGrades(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]map[string]Grade, map[uuid.UUID]map[string]Override, error) {
	where, args := "class_id = ?", []any{classID}
	if userIDs != nil {
		where, args = where+" AND user_id = ANY(?::uuid[])", append(args, database.UUIDArray(userIDs))
	}
	rows, err := s.db.Conn(ctx).Raw("SELECT user_id, item, kind, percent, passed, released_at FROM gradebook_grades WHERE "+where, args...).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("read grades: %w", err)
	}
	defer rows.Close()
	g := map[uuid.UUID]map[string]Grade{}
	for rows.Next() {
		var u uuid.UUID
		var gr Grade
		if err := rows.Scan(&u, &gr.Item, &gr.Kind, &gr.Percent, &gr.Passed, &gr.ReleasedAt); err != nil {
			return nil, nil, fmt.Errorf("read grade: %w", err)
		}
		if g[u] == nil {
			g[u] = make(map[string]Grade, 48)
		}
		g[u][gr.Item] = gr
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read grades: %w", err)
	}
	var overrides []overrideRow
	if err := s.db.Conn(ctx).Where(where, args...).Find(&overrides).Error; err != nil {
		return nil, nil, fmt.Errorf("read overrides: %w", err)
	}
	o := map[uuid.UUID]map[string]Override{}
	for _, r := range overrides {
		if o[r.UserID] == nil {
			o[r.UserID] = map[string]Override{}
		}
		o[r.UserID][r.Item] = Override{Item: r.Item, Percent: r.Percent, Reason: r.Reason, SetBy: r.SetBy, SetAt: r.SetAt}
	}
	return g, o, nil
}

// heads reads what tells learners' rows apart in a class (all of them when
// userIDs is nil): the result and how many times it was computed.
func (s store) heads(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]Row, error) {
	where, args := "class_id = ?", []any{classID}
	if userIDs != nil {
		where, args = where+" AND user_id = ANY(?::uuid[])", append(args, database.UUIDArray(userIDs))
	}
	var rows []struct {
		UserID       uuid.UUID
		FinalPercent *float64
		Passed       bool
		Seq          int64
	}
	if err := s.db.Conn(ctx).Raw("SELECT user_id, final_percent, passed, seq FROM gradebook_rows WHERE "+where, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read gradebook results: %w", err)
	}
	out := make(map[uuid.UUID]Row, len(rows))
	for _, r := range rows {
		out[r.UserID] = Row{ClassID: classID, UserID: r.UserID, FinalPercent: r.FinalPercent, Passed: r.Passed, Seq: r.Seq}
	}
	return out, nil
}

// learners lists the users with a grade or an override in a class.
func (s store) learners(ctx context.Context, classID uuid.UUID) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Raw(`SELECT user_id FROM gradebook_grades WHERE class_id = ?
		UNION SELECT user_id FROM gradebook_overrides WHERE class_id = ? ORDER BY 1`, classID, classID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("list gradebook learners: %w", err)
	}
	return ids, nil
}

// results reads learners' rows in a class, by learner.
func (s store) results(ctx context.Context, classID uuid.UUID, userIDs []uuid.UUID) (map[uuid.UUID]Row, error) {
	var rows []resultRow
	if err := s.db.Conn(ctx).Where("class_id = ? AND user_id = ANY(?::uuid[])", classID, database.UUIDArray(userIDs)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read gradebook rows: %w", err)
	}
	out := make(map[uuid.UUID]Row, len(rows))
	for _, r := range rows {
		row, err := r.toRow()
		if err != nil {
			return nil, err
		}
		out[r.UserID] = row
	}
	return out, nil
}

// saveResults writes learners' rows.
func (s store) saveResults(ctx context.Context, rows []Row) error {
	if len(rows) == 0 {
		return nil
	}
	out := make([]resultRow, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = toResultRow(r); err != nil {
			return err
		}
	}
	err := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "class_id"}, {Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"final_percent", "passed", "items", "revision", "seq", "computed_at"}),
	}).CreateInBatches(&out, 1000).Error
	if err != nil {
		return fmt.Errorf("save gradebook rows: %w", err)
	}
	return nil
}

// RowFilter narrows the instructor's view of a gradebook.
type RowFilter struct {
	Passed *bool
	UserID *uuid.UUID
}

// resultPage reads a page of a class's rows in learner order.
func (s store) resultPage(ctx context.Context, classID uuid.UUID, f RowFilter, req page.Request) ([]Row, error) {
	q := s.db.Conn(ctx).Model(&resultRow{}).Where("class_id = ?", classID)
	if f.Passed != nil {
		q = q.Where("passed = ?", *f.Passed)
	}
	if f.UserID != nil {
		q = q.Where("user_id = ?", *f.UserID)
	}
	q, err := database.Keyset(q, "", database.KeyNone, "user_id", req)
	if err != nil {
		return nil, err
	}
	var rows []resultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list gradebook rows: %w", err)
	}
	out := make([]Row, len(rows))
	for i, r := range rows {
		if out[i], err = r.toRow(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
