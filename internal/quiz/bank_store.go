package quiz

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// store is the quiz domain's only door to SQL.
type store struct{ db *database.DB }

var conflicts = database.Conflicts{
	"question_categories_name_key": ErrCategoryExists,
}

func translate(err error) error { return conflicts.Translate(err) }

type bankRow struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	Name        string
	Description string
	Sharing     string
	CreatedBy   uuid.UUID
	ArchivedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (bankRow) TableName() string { return "question_banks" }

func (r bankRow) toBank(shared []uuid.UUID) Bank {
	if shared == nil {
		shared = []uuid.UUID{}
	}
	return Bank{ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description, Sharing: Sharing(r.Sharing),
		SharedOrgIDs: shared, CreatedBy: r.CreatedBy, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (s store) createBank(ctx context.Context, b Bank) error {
	r := bankRow{ID: b.ID, OrgID: b.OrgID, Name: b.Name, Description: b.Description, Sharing: string(b.Sharing),
		CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create question bank: %w", translate(err))
	}
	return s.setShares(ctx, b.ID, b.SharedOrgIDs)
}

func (s store) setShares(ctx context.Context, bankID uuid.UUID, orgIDs []uuid.UUID) error {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("DELETE FROM question_bank_shares WHERE bank_id = ?", bankID).Error; err != nil {
		return fmt.Errorf("clear bank shares: %w", err)
	}
	if len(orgIDs) == 0 {
		return nil
	}
	ids := make(database.TextArray, len(orgIDs))
	for i, id := range orgIDs {
		ids[i] = id.String()
	}
	if err := tx.Exec("INSERT INTO question_bank_shares (bank_id, org_id) SELECT ?, unnest(?::uuid[]) ON CONFLICT DO NOTHING", bankID, ids).Error; err != nil {
		return fmt.Errorf("write bank shares: %w", err)
	}
	return nil
}

func (s store) shares(ctx context.Context, bankIDs []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(bankIDs) == 0 {
		return out, nil
	}
	var rows []struct{ BankID, OrgID uuid.UUID }
	if err := s.db.Conn(ctx).Table("question_bank_shares").Where("bank_id IN ?", bankIDs).Order("bank_id, org_id").
		Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list bank shares: %w", err)
	}
	for _, r := range rows {
		out[r.BankID] = append(out[r.BankID], r.OrgID)
	}
	return out, nil
}

func (s store) bank(ctx context.Context, id uuid.UUID) (Bank, error) {
	var r bankRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrBankNotFound, "get question bank %s", id); err != nil {
		return Bank{}, err
	}
	shares, err := s.shares(ctx, []uuid.UUID{id})
	if err != nil {
		return Bank{}, err
	}
	return r.toBank(shares[id]), nil
}

func (s store) updateBank(ctx context.Context, b Bank) error {
	err := s.db.Conn(ctx).Model(&bankRow{}).Where("id = ?", b.ID).Updates(map[string]any{
		"name": b.Name, "description": b.Description, "sharing": string(b.Sharing), "updated_at": b.UpdatedAt}).Error
	if err != nil {
		return fmt.Errorf("update question bank: %w", err)
	}
	return s.setShares(ctx, b.ID, b.SharedOrgIDs)
}

// bankListScope is which banks a list may show: those under roots (all of
// them with all), and with shared those whose sharing reaches sharedTo.
type bankListScope struct {
	all      bool
	roots    []string
	shared   bool
	sharedTo string
}

func (s store) listBanks(ctx context.Context, sc bankListScope, req page.Request) ([]Bank, error) {
	conn := s.db.Conn(ctx)
	q := conn.Model(&bankRow{}).Where("archived_at IS NULL")
	if !sc.all {
		var conds []string
		var args []any
		for _, r := range sc.roots {
			conds = append(conds, "org_id IN (SELECT id FROM organizations WHERE path LIKE ?)")
			args = append(args, database.EscapeLike(r)+"%")
		}
		if sc.shared {
			conds = append(conds, "sharing = 'national'",
				"org_id IN (SELECT id FROM organizations WHERE ? LIKE path || '%')",
				`sharing = 'listed' AND EXISTS (SELECT 1 FROM question_bank_shares sh WHERE sh.bank_id = question_banks.id
					AND ? LIKE '%/' || sh.org_id::text || '/%')`)
			args = append(args, sc.sharedTo, sc.sharedTo)
		}
		q = q.Where("("+strings.Join(conds, " OR ")+")", args...)
	}
	q, err := database.Keyset(q, "name", database.KeyText, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []bankRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list question banks: %w", err)
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	shares, err := s.shares(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Bank, len(rows))
	for i, r := range rows {
		out[i] = r.toBank(shares[r.ID])
	}
	return out, nil
}

// --- categories ---

type categoryRow struct {
	ID        uuid.UUID
	BankID    uuid.UUID
	ParentID  *uuid.UUID
	Name      string
	CreatedAt time.Time `gorm:"default:now()"`
}

func (categoryRow) TableName() string { return "question_categories" }

func (r categoryRow) toCategory() Category {
	return Category{ID: r.ID, BankID: r.BankID, ParentID: r.ParentID, Name: r.Name}
}

func (s store) createCategory(ctx context.Context, c Category) error {
	r := categoryRow{ID: c.ID, BankID: c.BankID, ParentID: c.ParentID, Name: c.Name}
	if err := s.db.Conn(ctx).Omit("CreatedAt").Create(&r).Error; err != nil {
		return fmt.Errorf("create category: %w", translate(err))
	}
	return nil
}

func (s store) category(ctx context.Context, bankID, id uuid.UUID) (Category, error) {
	var r categoryRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ? AND bank_id = ?", id, bankID), &r, ErrCategoryNotFound, "get category"); err != nil {
		return Category{}, err
	}
	return r.toCategory(), nil
}

func (s store) categories(ctx context.Context, bankID uuid.UUID) ([]Category, error) {
	var rows []categoryRow
	if err := s.db.Conn(ctx).Where("bank_id = ?", bankID).Order("name, id").Limit(5000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	out := make([]Category, len(rows))
	for i, r := range rows {
		out[i] = r.toCategory()
	}
	return out, nil
}

// --- questions ---

type questionRow struct {
	ID             uuid.UUID
	BankID         uuid.UUID
	CategoryID     *uuid.UUID
	Name           string
	CompetencyTags database.TextArray
	CurrentVersion int
	CreatedBy      uuid.UUID
	ArchivedAt     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (questionRow) TableName() string { return "questions" }

type versionRow struct {
	ID          uuid.UUID
	QuestionID  uuid.UUID
	Number      int
	Type        string
	Stem        string
	Points      float64
	Feedback    string
	Body        []byte `gorm:"type:jsonb"`
	Media       []byte `gorm:"type:jsonb"`
	KeyRevision int
	CreatedBy   uuid.UUID
	CreatedAt   time.Time
}

func (versionRow) TableName() string { return "question_versions" }

func (r versionRow) toContent() (Content, error) {
	c := Content{Type: Type(r.Type), Stem: r.Stem, Points: r.Points, Feedback: r.Feedback, KeyRevision: r.KeyRevision}
	if err := json.Unmarshal(r.Body, &c.Body); err != nil {
		return Content{}, fmt.Errorf("decode question version %s: %w", r.ID, err)
	}
	if len(r.Media) > 0 {
		if err := json.Unmarshal(r.Media, &c.Media); err != nil {
			return Content{}, fmt.Errorf("decode question version %s media: %w", r.ID, err)
		}
	}
	return c, nil
}

func mediaJSON(m []Media) ([]byte, error) { return json.Marshal(nonNil(m)) }

func (s store) createQuestion(ctx context.Context, q Question) error {
	r := questionRow{ID: q.ID, BankID: q.BankID, CategoryID: q.CategoryID, Name: q.Name, CompetencyTags: q.CompetencyTags,
		CurrentVersion: q.Version, CreatedBy: q.CreatedBy, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
	if err := s.db.Conn(ctx).Omit("ArchivedAt").Create(&r).Error; err != nil {
		return fmt.Errorf("create question: %w", translate(err))
	}
	return nil
}

func (s store) createVersion(ctx context.Context, q Question) error {
	body, err := json.Marshal(q.Content.Body)
	if err != nil {
		return err
	}
	media, err := mediaJSON(q.Content.Media)
	if err != nil {
		return err
	}
	r := versionRow{ID: q.VersionID, QuestionID: q.ID, Number: q.Version, Type: string(q.Content.Type), Stem: q.Content.Stem,
		Points: q.Content.Points, Feedback: q.Content.Feedback, Body: body, Media: media, KeyRevision: 1,
		CreatedBy: q.CreatedBy, CreatedAt: q.UpdatedAt}
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create question version: %w", translate(err))
	}
	return nil
}

func (s store) updateVersion(ctx context.Context, q Question) error {
	body, err := json.Marshal(q.Content.Body)
	if err != nil {
		return err
	}
	media, err := mediaJSON(q.Content.Media)
	if err != nil {
		return err
	}
	return s.db.Conn(ctx).Model(&versionRow{}).Where("id = ?", q.VersionID).Updates(map[string]any{
		"type": string(q.Content.Type), "stem": q.Content.Stem, "points": q.Content.Points,
		"feedback": q.Content.Feedback, "body": body, "media": media}).Error
}

// version reads a question's version by number, locked when asked.
func (s store) version(ctx context.Context, questionID uuid.UUID, number int, forUpdate bool) (uuid.UUID, Content, error) {
	var r versionRow
	q := s.db.Conn(ctx).Where("question_id = ? AND number = ?", questionID, number)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrQuestionNotFound, "get question %s version %d", questionID, number); err != nil {
		return uuid.Nil, Content{}, err
	}
	c, err := r.toContent()
	return r.ID, c, err
}

// fixKey writes a corrected key over a version's and counts the correction.
func (s store) fixKey(ctx context.Context, versionID uuid.UUID, b Body) (int, error) {
	body, err := json.Marshal(b)
	if err != nil {
		return 0, err
	}
	var rev int
	err = s.db.Conn(ctx).Raw(`UPDATE question_versions SET body = ?, key_revision = key_revision + 1 WHERE id = ? RETURNING key_revision`,
		body, versionID).Scan(&rev).Error
	if err != nil {
		return 0, fmt.Errorf("fix question key: %w", err)
	}
	return rev, nil
}

func (s store) updateQuestion(ctx context.Context, q Question) error {
	return s.db.Conn(ctx).Model(&questionRow{}).Where("id = ?", q.ID).Updates(map[string]any{
		"name": q.Name, "category_id": q.CategoryID, "competency_tags": database.TextArray(q.CompetencyTags),
		"current_version": q.Version, "updated_at": q.UpdatedAt}).Error
}

func (s store) archiveQuestion(ctx context.Context, id uuid.UUID, at time.Time) error {
	return s.db.Conn(ctx).Model(&questionRow{}).Where("id = ?", id).Updates(map[string]any{"archived_at": at, "updated_at": at}).Error
}

// versionUsed reports whether an attempt shows a question version.
func (s store) versionUsed(ctx context.Context, versionID uuid.UUID) (bool, error) {
	var used bool
	err := s.db.Conn(ctx).Raw("SELECT EXISTS (SELECT 1 FROM quiz_attempt_slots WHERE question_version_id = ?)", versionID).Scan(&used).Error
	return used, err
}

// withVersions reads the current version of each question row.
func (s store) withVersions(ctx context.Context, rows []questionRow) ([]Question, error) {
	if len(rows) == 0 {
		return []Question{}, nil
	}
	conds := make([]string, len(rows))
	args := make([]any, 0, 2*len(rows))
	for i, r := range rows {
		conds[i] = "(question_id = ? AND number = ?)"
		args = append(args, r.ID, r.CurrentVersion)
	}
	var vs []versionRow
	if err := s.db.Conn(ctx).Where(strings.Join(conds, " OR "), args...).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("read question versions: %w", err)
	}
	byQuestion := make(map[uuid.UUID]versionRow, len(vs))
	for _, v := range vs {
		byQuestion[v.QuestionID] = v
	}
	out := make([]Question, 0, len(rows))
	for _, r := range rows {
		v, ok := byQuestion[r.ID]
		if !ok {
			return nil, fmt.Errorf("question %s has no version %d", r.ID, r.CurrentVersion)
		}
		c, err := v.toContent()
		if err != nil {
			return nil, err
		}
		out = append(out, Question{ID: r.ID, BankID: r.BankID, CategoryID: r.CategoryID, Name: r.Name,
			CompetencyTags: nonNil(r.CompetencyTags), Version: r.CurrentVersion, VersionID: v.ID, Content: c,
			CreatedBy: r.CreatedBy, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s store) question(ctx context.Context, bankID, id uuid.UUID, forUpdate bool) (Question, error) {
	var r questionRow
	q := s.db.Conn(ctx).Where("id = ? AND bank_id = ?", id, bankID)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrQuestionNotFound, "get question %s", id); err != nil {
		return Question{}, err
	}
	qs, err := s.withVersions(ctx, []questionRow{r})
	if err != nil {
		return Question{}, err
	}
	return qs[0], nil
}

// questionsByID reads live questions by id, with their current versions.
func (s store) questionsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]Question, error) {
	out := map[uuid.UUID]Question{}
	if len(ids) == 0 {
		return out, nil
	}
	// One statement for the questions and their current versions: a start
	// reads its quiz's questions every time.
	var rows []struct {
		ID             uuid.UUID
		BankID         uuid.UUID
		CategoryID     *uuid.UUID
		Name           string
		CompetencyTags database.TextArray
		CurrentVersion int
		CreatedBy      uuid.UUID
		ArchivedAt     *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time
		VersionID      uuid.UUID
		Type           string
		Stem           string
		Points         float64
		Feedback       string
		Body           []byte
		Media          []byte
		KeyRevision    int
	}
	err := s.db.Conn(ctx).Raw(`SELECT q.id, q.bank_id, q.category_id, q.name, q.competency_tags, q.current_version, q.created_by, q.archived_at,
			q.created_at, q.updated_at, v.id AS version_id, v.type, v.stem, v.points, v.feedback, v.body, v.media, v.key_revision
		FROM questions q JOIN question_versions v ON v.question_id = q.id AND v.number = q.current_version
		WHERE q.id IN ? AND q.archived_at IS NULL`, ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read questions: %w", err)
	}
	for _, r := range rows {
		c, err := versionRow{ID: r.VersionID, Type: r.Type, Stem: r.Stem, Points: r.Points, Feedback: r.Feedback,
			Body: r.Body, Media: r.Media, KeyRevision: r.KeyRevision}.toContent()
		if err != nil {
			return nil, err
		}
		out[r.ID] = Question{ID: r.ID, BankID: r.BankID, CategoryID: r.CategoryID, Name: r.Name,
			CompetencyTags: nonNil(r.CompetencyTags), Version: r.CurrentVersion, VersionID: r.VersionID, Content: c,
			CreatedBy: r.CreatedBy, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

// drawIDs returns the ids of the live questions of a bank in a category
// and/or with a tag.
func (s store) drawIDs(ctx context.Context, bankID uuid.UUID, categoryID *uuid.UUID, tag string) ([]uuid.UUID, error) {
	q := s.db.Conn(ctx).Model(&questionRow{}).Where("bank_id = ? AND archived_at IS NULL", bankID)
	if categoryID != nil {
		q = q.Where("category_id = ?", *categoryID)
	}
	if tag != "" {
		q = q.Where("competency_tags @> ?", database.TextArray{tag})
	}
	var ids []uuid.UUID
	if err := q.Order("id").Limit(10000).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("draw questions: %w", err)
	}
	return ids, nil
}

// bankQuestions returns every live question of a bank with its current
// version, by name.
func (s store) bankQuestions(ctx context.Context, bankID uuid.UUID) ([]Question, error) {
	var rows []questionRow
	if err := s.db.Conn(ctx).Where("bank_id = ? AND archived_at IS NULL", bankID).Order("name, id").Limit(10000).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	return s.withVersions(ctx, rows)
}

func (s store) listQuestions(ctx context.Context, bankID uuid.UUID, f QuestionFilter, req page.Request) ([]Question, error) {
	q := s.db.Conn(ctx).Model(&questionRow{}).Where("bank_id = ? AND archived_at IS NULL", bankID)
	if f.CategoryID != uuid.Nil {
		q = q.Where("category_id = ?", f.CategoryID)
	}
	if f.Tag != "" {
		q = q.Where("competency_tags @> ?", database.TextArray{strings.ToLower(f.Tag)})
	}
	q, err := database.Keyset(q, "name", database.KeyText, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []questionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list questions: %w", err)
	}
	return s.withVersions(ctx, rows)
}
