package course

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

// store reads and writes the course tables; it turns driver errors into the
// errors of this package.
type store struct{ db *database.DB }

// --- rows ---

type courseRow struct {
	ID                        uuid.UUID
	OrgID                     uuid.UUID
	Code                      string
	Sharing                   string
	CurrentPublishedVersionID *uuid.UUID
	CreatedBy                 uuid.UUID
	ArchivedAt                *time.Time
	ArchivedBy                *uuid.UUID
	CreatedAt                 time.Time
	UpdatedAt                 time.Time
}

func (courseRow) TableName() string { return "courses" }

func (r courseRow) toCourse(shared []uuid.UUID) Course {
	return Course{
		ID: r.ID, OrgID: r.OrgID, Code: r.Code, Sharing: Sharing(r.Sharing), SharedOrgIDs: shared, CreatedBy: r.CreatedBy,
		PublishedVersionID: r.CurrentPublishedVersionID, ArchivedAt: r.ArchivedAt, ArchivedBy: r.ArchivedBy,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

type versionRow struct {
	ID             uuid.UUID
	CourseID       uuid.UUID
	Number         int
	Status         string
	Title          string
	Summary        string
	Language       string
	Objectives     database.TextArray
	CompetencyTags database.TextArray
	Tags           database.TextArray
	DeliveryMode   string
	JPCredit       *float64 `gorm:"column:jp_credit"`
	Level          string
	CoverFileID    *uuid.UUID
	LockVersion    int
	CreatedBy      uuid.UUID
	SubmittedAt    *time.Time
	SubmittedBy    *uuid.UUID
	PublishedAt    *time.Time
	PublishedBy    *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (versionRow) TableName() string { return "course_versions" }

func (r versionRow) toVersion() Version {
	v := Version{
		ID: r.ID, CourseID: r.CourseID, Number: r.Number, Status: VersionStatus(r.Status), Title: r.Title, Summary: r.Summary,
		Language: Language(r.Language), Objectives: nonNil(r.Objectives), CompetencyTags: nonNil(r.CompetencyTags),
		Tags: nonNil(r.Tags), DeliveryMode: DeliveryMode(r.DeliveryMode), Level: Level(r.Level), CoverFileID: r.CoverFileID,
		LockVersion: r.LockVersion, CreatedBy: r.CreatedBy, SubmittedAt: r.SubmittedAt, SubmittedBy: r.SubmittedBy,
		PublishedAt: r.PublishedAt, PublishedBy: r.PublishedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.JPCredit != nil {
		v.JPCredit = *r.JPCredit
	}
	return v
}

func toVersionRow(v Version) versionRow {
	r := versionRow{
		ID: v.ID, CourseID: v.CourseID, Number: v.Number, Status: string(v.Status), Title: v.Title, Summary: v.Summary,
		Language: string(v.Language), Objectives: nonNil(v.Objectives), CompetencyTags: nonNil(v.CompetencyTags), Tags: nonNil(v.Tags),
		DeliveryMode: string(v.DeliveryMode), Level: string(v.Level), CoverFileID: v.CoverFileID, LockVersion: v.LockVersion,
		CreatedBy: v.CreatedBy, SubmittedAt: v.SubmittedAt, SubmittedBy: v.SubmittedBy, PublishedAt: v.PublishedAt,
		PublishedBy: v.PublishedBy, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}
	if v.JPCredit > 0 {
		jp := v.JPCredit
		r.JPCredit = &jp
	}
	return r
}

// contentFields are the columns an author edits, as a map for Updates.
func (r versionRow) contentFields() map[string]any {
	return map[string]any{
		"title": r.Title, "summary": r.Summary, "language": r.Language, "objectives": r.Objectives,
		"competency_tags": r.CompetencyTags, "tags": r.Tags, "delivery_mode": r.DeliveryMode,
		"jp_credit": r.JPCredit, "level": r.Level, "cover_file_id": r.CoverFileID,
	}
}

type moduleRow struct {
	ID        uuid.UUID
	VersionID uuid.UUID
	Position  int
	Title     string
	Summary   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (moduleRow) TableName() string { return "course_modules" }

func (r moduleRow) toModule() Module {
	return Module{ID: r.ID, VersionID: r.VersionID, Position: r.Position, Title: r.Title, Summary: r.Summary}
}

type lessonRow struct {
	ID        uuid.UUID
	ModuleID  uuid.UUID
	VersionID uuid.UUID
	Position  int
	Title     string
	Summary   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (lessonRow) TableName() string { return "course_lessons" }

func (r lessonRow) toLesson() Lesson {
	return Lesson{ID: r.ID, ModuleID: r.ModuleID, VersionID: r.VersionID, Position: r.Position, Title: r.Title, Summary: r.Summary}
}

type itemRow struct {
	ID                 uuid.UUID
	LessonID           uuid.UUID
	VersionID          uuid.UUID
	Position           int
	Kind               string
	Title              string
	Required           bool
	EstimatedMinutes   int
	Body               string
	URL                *string `gorm:"column:url"`
	FileID             *uuid.UUID
	RefID              *uuid.UUID
	ReleaseAt          *time.Time
	ReleaseAfterItemID *uuid.UUID
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (itemRow) TableName() string { return "course_items" }

func (r itemRow) toItem() Item {
	it := Item{
		ID: r.ID, LessonID: r.LessonID, VersionID: r.VersionID, Position: r.Position, Kind: ItemKind(r.Kind), Title: r.Title,
		Required: r.Required, EstimatedMinutes: r.EstimatedMinutes, Body: r.Body, FileID: r.FileID, RefID: r.RefID,
		ReleaseAt: r.ReleaseAt, ReleaseAfterItemID: r.ReleaseAfterItemID,
	}
	if r.URL != nil {
		it.URL = *r.URL
	}
	return it
}

func toItemRow(it Item) itemRow {
	r := itemRow{
		ID: it.ID, LessonID: it.LessonID, VersionID: it.VersionID, Position: it.Position, Kind: string(it.Kind), Title: it.Title,
		Required: it.Required, EstimatedMinutes: it.EstimatedMinutes, Body: it.Body, FileID: it.FileID, RefID: it.RefID,
		ReleaseAt: it.ReleaseAt, ReleaseAfterItemID: it.ReleaseAfterItemID,
	}
	if it.URL != "" {
		u := it.URL
		r.URL = &u
	}
	return r
}

type reviewRow struct {
	ID         uuid.UUID
	VersionID  uuid.UUID
	ReviewerID uuid.UUID
	Decision   string
	Checklist  []byte
	Comments   string
	CreatedAt  time.Time
}

func (reviewRow) TableName() string { return "course_reviews" }

// checklistDoc is the stored form of a checklist.
type checklistDoc struct {
	Objectives    bool `json:"objectives"`
	Assessment    bool `json:"assessment"`
	JP            bool `json:"jp"`
	Accessibility bool `json:"accessibility"`
}

func (r reviewRow) toReview() (Review, error) {
	var c checklistDoc
	if err := json.Unmarshal(r.Checklist, &c); err != nil {
		return Review{}, fmt.Errorf("decode review checklist: %w", err)
	}
	return Review{ID: r.ID, VersionID: r.VersionID, ReviewerID: r.ReviewerID, Decision: Decision(r.Decision),
		Checklist: Checklist(c), Comments: r.Comments, CreatedAt: r.CreatedAt}, nil
}

type catalogueRow struct {
	CourseID       uuid.UUID
	VersionID      uuid.UUID
	OrgID          uuid.UUID
	Sharing        string
	Code           string
	Title          string
	Summary        string
	Language       string
	DeliveryMode   string
	Level          string
	JPCredit       float64 `gorm:"column:jp_credit"`
	Tags           database.TextArray
	CompetencyTags database.TextArray
	CoverFileID    *uuid.UUID
	PublishedAt    time.Time
	SortKey        string `gorm:"->;column:sort_key"` // the key of the requested order, for the cursor
}

func (catalogueRow) TableName() string { return "course_catalogue" }

func (r catalogueRow) toEntry() CatalogueEntry {
	return CatalogueEntry{
		CourseID: r.CourseID, VersionID: r.VersionID, OrgID: r.OrgID, Code: r.Code, Title: r.Title, Summary: r.Summary,
		Language: Language(r.Language), DeliveryMode: DeliveryMode(r.DeliveryMode), Level: Level(r.Level), JPCredit: r.JPCredit,
		Tags: nonNil(r.Tags), CompetencyTags: nonNil(r.CompetencyTags), CoverFileID: r.CoverFileID,
		Sharing: Sharing(r.Sharing), PublishedAt: r.PublishedAt,
	}
}

type similarRow struct {
	CourseID             uuid.UUID
	VersionID            uuid.UUID
	OrgID                uuid.UUID
	Code                 string
	Title                string
	Score                float64
	TitleSimilarity      float64
	ObjectivesSimilarity float64
	TagOverlap           float64
	SharedTags           database.TextArray
}

type pathRow struct {
	ID          uuid.UUID
	OrgID       uuid.UUID
	Code        string
	Title       string
	Description string
	Sharing     string
	CreatedBy   uuid.UUID
	ArchivedAt  *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SortKey     string `gorm:"->;column:sort_key"` // lower(title) in lists, for the cursor
}

func (pathRow) TableName() string { return "learning_paths" }

func (r pathRow) toPath() LearningPath {
	return LearningPath{ID: r.ID, OrgID: r.OrgID, Code: r.Code, Title: r.Title, Description: r.Description,
		Sharing: Sharing(r.Sharing), CreatedBy: r.CreatedBy, ArchivedAt: r.ArchivedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type pathCourseRow struct {
	PathID                uuid.UUID
	CourseID              uuid.UUID
	Position              int
	PrerequisiteCourseIDs database.UUIDArray
	PublishedVersionID    *uuid.UUID `gorm:"->;column:published_version_id"` // read from courses
}

func (pathCourseRow) TableName() string { return "learning_path_courses" }

// conflicts turns the unique violations of the course tables into domain errors.
var conflicts = database.Conflicts{
	"courses_org_code_key":        ErrCodeTaken,
	"learning_paths_org_code_key": ErrPathCodeTaken,
	"course_versions_one_open":    ErrDraftExists,
}

// translate turns a driver error into the domain error it means, if any.
func translate(err error) error { return conflicts.Translate(err) }

// --- courses ---

func (s store) createCourse(ctx context.Context, r courseRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create course: %w", translate(err))
	}
	return nil
}

// course reads a course; forUpdate locks its row until the transaction ends,
// which serializes the changes that concern the whole course.
func (s store) course(ctx context.Context, id uuid.UUID, forUpdate bool) (courseRow, error) {
	var r courseRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrCourseNotFound, "get course %s", id); err != nil {
		return courseRow{}, err
	}
	return r, nil
}

// courses reads the courses of ids that exist, by id.
func (s store) courses(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]courseRow, error) {
	out := map[uuid.UUID]courseRow{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []courseRow
	if err := s.db.Conn(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("get courses: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

func (s store) updateCourse(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	return s.update(ctx, &courseRow{}, id, fields)
}

// update sets fields, and updated_at, on the row of model's table with id.
func (s store) update(ctx context.Context, model any, id uuid.UUID, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	if err := s.db.Conn(ctx).Model(model).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update %T: %w", model, translate(err))
	}
	return nil
}

// shares returns the organisations each course is shared with.
func (s store) shares(ctx context.Context, courseIDs ...uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	return s.sharesIn(ctx, "course_shares", "course_id", courseIDs)
}

func (s store) setShares(ctx context.Context, courseID uuid.UUID, orgIDs []uuid.UUID) error {
	return s.setSharesIn(ctx, "course_shares", "course_id", courseID, orgIDs)
}

// sharesIn reads a sharing table (course_shares, learning_path_shares):
// the organisations each owner, named by ownerColumn, is shared with.
func (s store) sharesIn(ctx context.Context, table, ownerColumn string, owners []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	out := map[uuid.UUID][]uuid.UUID{}
	if len(owners) == 0 {
		return out, nil
	}
	var rows []struct {
		Owner uuid.UUID
		OrgID uuid.UUID
	}
	err := s.db.Conn(ctx).Table(table).Select(ownerColumn+" AS owner, org_id").Where(ownerColumn+" IN ?", owners).
		Order(ownerColumn + ", org_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", table, err)
	}
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.OrgID)
	}
	return out, nil
}

// setSharesIn replaces the organisations owner is shared with in a sharing table.
func (s store) setSharesIn(ctx context.Context, table, ownerColumn string, owner uuid.UUID, orgIDs []uuid.UUID) error {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("DELETE FROM "+table+" WHERE "+ownerColumn+" = ?", owner).Error; err != nil {
		return fmt.Errorf("clear %s: %w", table, err)
	}
	if len(orgIDs) == 0 {
		return nil
	}
	err := tx.Exec("INSERT INTO "+table+" ("+ownerColumn+", org_id) SELECT ?, unnest(?::uuid[])", owner, database.UUIDArray(orgIDs)).Error
	if err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	return nil
}

// listCourses lists courses owned by any of orgIDs (every course when all),
// by code then id.
func (s store) listCourses(ctx context.Context, orgIDs []uuid.UUID, all bool, f CourseFilter, req page.Request) ([]courseRow, error) {
	q := s.db.Conn(ctx).Model(&courseRow{})
	if !all {
		q = q.Where("org_id = ANY(?::uuid[])", database.UUIDArray(orgIDs))
	}
	if f.OrgID != uuid.Nil {
		q = q.Where("org_id = ?", f.OrgID)
	}
	if f.Archived {
		q = q.Where("archived_at IS NOT NULL")
	} else {
		q = q.Where("archived_at IS NULL")
	}
	if query := strings.TrimSpace(f.Query); query != "" {
		q = q.Where(`code ILIKE ? OR EXISTS (SELECT 1 FROM course_versions v WHERE v.course_id = courses.id
			AND (v.id = courses.current_published_version_id OR v.status IN ('draft', 'in_review', 'changes_requested'))
			AND v.title ILIKE ?)`, database.EscapeLike(query)+"%", "%"+database.EscapeLike(query)+"%")
	}
	q, err := database.Keyset(q, "code", database.KeyText, "id", req)
	if err != nil {
		return nil, err
	}
	var rows []courseRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list courses: %w", err)
	}
	return rows, nil
}

// --- helpers ---

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
