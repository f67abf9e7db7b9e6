package course

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
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
	Objectives     textArray
	CompetencyTags textArray
	Tags           textArray
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
		Language: string(v.Language), Objectives: v.Objectives, CompetencyTags: v.CompetencyTags, Tags: v.Tags,
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
	Tags           textArray
	CompetencyTags textArray
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
	SharedTags           textArray
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
	PrerequisiteCourseIDs uuidArray
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
	err := tx.Exec("INSERT INTO "+table+" ("+ownerColumn+", org_id) SELECT ?, unnest(?::uuid[])", owner, uuidArray(orgIDs)).Error
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
		q = q.Where("org_id = ANY(?::uuid[])", uuidArray(orgIDs))
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
	q, err := database.Keyset(q, "code", database.KeyText, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []courseRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list courses: %w", err)
	}
	return rows, nil
}

// --- versions ---

func (s store) createVersion(ctx context.Context, v Version) error {
	r := toVersionRow(v)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create course version: %w", translate(err))
	}
	return s.addEditor(ctx, v.ID, v.CreatedBy)
}

// addEditor records that a user wrote part of a version.
func (s store) addEditor(ctx context.Context, versionID, userID uuid.UUID) error {
	err := s.db.Conn(ctx).Exec(`INSERT INTO course_version_editors (version_id, user_id) VALUES (?, ?)
		ON CONFLICT DO NOTHING`, versionID, userID).Error
	if err != nil {
		return fmt.Errorf("record version editor: %w", err)
	}
	return nil
}

// wrote reports whether a user created or changed a version.
func (s store) wrote(ctx context.Context, versionID, userID uuid.UUID) (bool, error) {
	var found bool
	err := s.db.Conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM course_version_editors WHERE version_id = ? AND user_id = ?)`,
		versionID, userID).Scan(&found).Error
	if err != nil {
		return false, fmt.Errorf("read version editors: %w", err)
	}
	return found, nil
}

func (s store) version(ctx context.Context, id uuid.UUID, forUpdate bool) (Version, error) {
	var r versionRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrVersionNotFound, "get course version %s", id); err != nil {
		return Version{}, err
	}
	return r.toVersion(), nil
}

// versions lists a course's versions, newest first.
func (s store) versions(ctx context.Context, courseID uuid.UUID) ([]Version, error) {
	var rows []versionRow
	if err := s.db.Conn(ctx).Where("course_id = ?", courseID).Order("number DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list course versions: %w", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.toVersion()
	}
	return out, nil
}

// currentVersions returns the published and open versions of courses.
func (s store) currentVersions(ctx context.Context, courseIDs []uuid.UUID) ([]Version, error) {
	if len(courseIDs) == 0 {
		return nil, nil
	}
	var rows []versionRow
	err := s.db.Conn(ctx).Where(`course_id IN ? AND (status IN ('draft', 'in_review', 'changes_requested')
		OR id IN (SELECT current_published_version_id FROM courses WHERE id IN ?))`, courseIDs, courseIDs).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("get current versions: %w", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = r.toVersion()
	}
	return out, nil
}

func (s store) nextVersionNumber(ctx context.Context, courseID uuid.UUID) (int, error) {
	var n int
	if err := s.db.Conn(ctx).Raw("SELECT coalesce(max(number), 0) + 1 FROM course_versions WHERE course_id = ?", courseID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("next version number: %w", err)
	}
	return n, nil
}

// updateVersion changes a version's columns and moves its lock version on.
func (s store) updateVersion(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	fields["lock_version"] = gorm.Expr("lock_version + 1")
	if err := s.db.Conn(ctx).Model(&versionRow{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update course version: %w", translate(err))
	}
	return nil
}

// archivePublished marks a course's published version superseded.
func (s store) archivePublished(ctx context.Context, courseID uuid.UUID) error {
	err := s.db.Conn(ctx).Model(&versionRow{}).Where("course_id = ? AND status = ?", courseID, StatusPublished).
		Updates(map[string]any{"status": StatusArchived, "updated_at": time.Now().UTC(), "lock_version": gorm.Expr("lock_version + 1")}).Error
	if err != nil {
		return fmt.Errorf("archive published version: %w", err)
	}
	return nil
}

// --- curriculum ---

// curriculum loads a version's modules, lessons and items in order.
func (s store) curriculum(ctx context.Context, versionID uuid.UUID) ([]Module, error) {
	tx := s.db.Conn(ctx)
	var mods []moduleRow
	if err := tx.Where("version_id = ?", versionID).Order("position, id").Find(&mods).Error; err != nil {
		return nil, fmt.Errorf("list modules: %w", err)
	}
	var lessons []lessonRow
	if err := tx.Where("version_id = ?", versionID).Order("position, id").Find(&lessons).Error; err != nil {
		return nil, fmt.Errorf("list lessons: %w", err)
	}
	var items []itemRow
	if err := tx.Where("version_id = ?", versionID).Order("position, id").Find(&items).Error; err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	itemsOf := map[uuid.UUID][]Item{}
	for _, r := range items {
		itemsOf[r.LessonID] = append(itemsOf[r.LessonID], r.toItem())
	}
	lessonsOf := map[uuid.UUID][]Lesson{}
	for _, r := range lessons {
		l := r.toLesson()
		l.Items = nonNil(itemsOf[l.ID])
		lessonsOf[l.ModuleID] = append(lessonsOf[l.ModuleID], l)
	}
	out := make([]Module, len(mods))
	for i, r := range mods {
		out[i] = r.toModule()
		out[i].Lessons = nonNil(lessonsOf[r.ID])
	}
	return out, nil
}

// counts returns how many modules, lessons and required items a version has.
func (s store) counts(ctx context.Context, versionID uuid.UUID) (modules, lessons, required int, err error) {
	row := s.db.Conn(ctx).Raw(`SELECT
		(SELECT count(*) FROM course_modules WHERE version_id = ?),
		(SELECT count(*) FROM course_lessons WHERE version_id = ?),
		(SELECT count(*) FROM course_items WHERE version_id = ? AND required)`, versionID, versionID, versionID).Row()
	if err := row.Scan(&modules, &lessons, &required); err != nil {
		return 0, 0, 0, fmt.Errorf("count curriculum: %w", err)
	}
	return modules, lessons, required, nil
}

// nextPosition returns the position after the last child of parent in table.
func (s store) nextPosition(ctx context.Context, table, parentColumn string, parent uuid.UUID) (int, error) {
	var n int
	err := s.db.Conn(ctx).Raw("SELECT coalesce(max(position), 0) + 1 FROM "+table+" WHERE "+parentColumn+" = ?", parent).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("next position in %s: %w", table, err)
	}
	return n, nil
}

func (s store) module(ctx context.Context, id uuid.UUID) (Module, error) {
	var r moduleRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrModuleNotFound, "get module"); err != nil {
		return Module{}, err
	}
	return r.toModule(), nil
}

func (s store) saveModule(ctx context.Context, m Module, create bool) error {
	now := time.Now().UTC()
	r := moduleRow{ID: m.ID, VersionID: m.VersionID, Position: m.Position, Title: m.Title, Summary: m.Summary, CreatedAt: now, UpdatedAt: now}
	return s.saveOutlineNode(ctx, &r, create, m.ID, m.Title, m.Summary, now, "module")
}

// saveOutlineNode inserts a module or lesson row, or changes the title and
// summary of the one with id: the fields an author edits on either.
func (s store) saveOutlineNode(ctx context.Context, row any, create bool, id uuid.UUID, title, summary string, now time.Time, what string) error {
	var err error
	if create {
		err = s.db.Conn(ctx).Create(row).Error
	} else {
		err = s.db.Conn(ctx).Model(row).Where("id = ?", id).
			Updates(map[string]any{"title": title, "summary": summary, "updated_at": now}).Error
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", what, err)
	}
	return nil
}

func (s store) lesson(ctx context.Context, id uuid.UUID) (Lesson, error) {
	var r lessonRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrLessonNotFound, "get lesson"); err != nil {
		return Lesson{}, err
	}
	return r.toLesson(), nil
}

func (s store) saveLesson(ctx context.Context, l Lesson, create bool) error {
	now := time.Now().UTC()
	r := lessonRow{ID: l.ID, ModuleID: l.ModuleID, VersionID: l.VersionID, Position: l.Position, Title: l.Title, Summary: l.Summary, CreatedAt: now, UpdatedAt: now}
	return s.saveOutlineNode(ctx, &r, create, l.ID, l.Title, l.Summary, now, "lesson")
}

func (s store) item(ctx context.Context, id uuid.UUID) (Item, error) {
	var r itemRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ?", id), &r, ErrItemNotFound, "get item"); err != nil {
		return Item{}, err
	}
	return r.toItem(), nil
}

// releaseChain returns, for every item of a version, the item it waits for.
func (s store) releaseChain(ctx context.Context, versionID uuid.UUID) (map[uuid.UUID]*uuid.UUID, error) {
	var rows []itemRow
	if err := s.db.Conn(ctx).Select("id, release_after_item_id").Where("version_id = ?", versionID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list release rules: %w", err)
	}
	out := make(map[uuid.UUID]*uuid.UUID, len(rows))
	for _, r := range rows {
		out[r.ID] = r.ReleaseAfterItemID
	}
	return out, nil
}

func (s store) saveItem(ctx context.Context, it Item, create bool) error {
	now := time.Now().UTC()
	r := toItemRow(it)
	r.CreatedAt, r.UpdatedAt = now, now
	var err error
	if create {
		err = s.db.Conn(ctx).Create(&r).Error
	} else {
		err = s.db.Conn(ctx).Model(&itemRow{}).Where("id = ?", it.ID).Updates(map[string]any{
			"title": r.Title, "required": r.Required, "estimated_minutes": r.EstimatedMinutes, "body": r.Body, "url": r.URL,
			"file_id": r.FileID, "ref_id": r.RefID, "release_at": r.ReleaseAt, "release_after_item_id": r.ReleaseAfterItemID,
			"updated_at": now,
		}).Error
	}
	if err != nil {
		return fmt.Errorf("save item: %w", err)
	}
	return nil
}

// remove deletes a module, lesson or item; what lies under it goes with it,
// and items that waited for a deleted item no longer wait.
func (s store) remove(ctx context.Context, row any, id uuid.UUID) error {
	if err := s.db.Conn(ctx).Where("id = ?", id).Delete(row).Error; err != nil {
		return fmt.Errorf("delete %T: %w", row, err)
	}
	return nil
}

// reorder writes the positions and parents of an outline in three statements.
func (s store) reorder(ctx context.Context, o Outline) error {
	var modIDs, lessonIDs, lessonParents, itemIDs, itemParents []uuid.UUID
	var modPos, lessonPos, itemPos []string
	for mi, m := range o {
		modIDs, modPos = append(modIDs, m.ID), append(modPos, strconv.Itoa(mi+1))
		for li, l := range m.Lessons {
			lessonIDs, lessonParents, lessonPos = append(lessonIDs, l.ID), append(lessonParents, m.ID), append(lessonPos, strconv.Itoa(li+1))
			for ii, it := range l.ItemIDs {
				itemIDs, itemParents, itemPos = append(itemIDs, it), append(itemParents, l.ID), append(itemPos, strconv.Itoa(ii+1))
			}
		}
	}
	tx := s.db.Conn(ctx)
	now := time.Now().UTC()
	if err := tx.Exec(`UPDATE course_modules AS m SET position = u.position, updated_at = ?
		FROM unnest(?::uuid[], ?::text[]::int[]) AS u(id, position) WHERE m.id = u.id`,
		now, uuidArray(modIDs), textArray(modPos)).Error; err != nil {
		return fmt.Errorf("reorder modules: %w", err)
	}
	if err := tx.Exec(`UPDATE course_lessons AS l SET module_id = u.module_id, position = u.position, updated_at = ?
		FROM unnest(?::uuid[], ?::uuid[], ?::text[]::int[]) AS u(id, module_id, position) WHERE l.id = u.id`,
		now, uuidArray(lessonIDs), uuidArray(lessonParents), textArray(lessonPos)).Error; err != nil {
		return fmt.Errorf("reorder lessons: %w", err)
	}
	if err := tx.Exec(`UPDATE course_items AS i SET lesson_id = u.lesson_id, position = u.position, updated_at = ?
		FROM unnest(?::uuid[], ?::uuid[], ?::text[]::int[]) AS u(id, lesson_id, position) WHERE i.id = u.id`,
		now, uuidArray(itemIDs), uuidArray(itemParents), textArray(itemPos)).Error; err != nil {
		return fmt.Errorf("reorder items: %w", err)
	}
	return nil
}

// copyCurriculum copies the modules, lessons and items of one version into
// another under new ids, keeping release rules pointing within the copy.
func (s store) copyCurriculum(ctx context.Context, from, to uuid.UUID) error {
	mods, err := s.curriculum(ctx, from)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	newID := map[uuid.UUID]uuid.UUID{}
	idFor := func(old uuid.UUID) uuid.UUID {
		if id, ok := newID[old]; ok {
			return id
		}
		id := uuid.Must(uuid.NewV7())
		newID[old] = id
		return id
	}
	var mrows []moduleRow
	var lrows []lessonRow
	var irows []itemRow
	for _, m := range mods {
		mid := idFor(m.ID)
		mrows = append(mrows, moduleRow{ID: mid, VersionID: to, Position: m.Position, Title: m.Title, Summary: m.Summary, CreatedAt: now, UpdatedAt: now})
		for _, l := range m.Lessons {
			lid := idFor(l.ID)
			lrows = append(lrows, lessonRow{ID: lid, ModuleID: mid, VersionID: to, Position: l.Position, Title: l.Title, Summary: l.Summary, CreatedAt: now, UpdatedAt: now})
			for _, it := range l.Items {
				r := toItemRow(it)
				r.ID, r.LessonID, r.VersionID, r.CreatedAt, r.UpdatedAt = idFor(it.ID), lid, to, now, now
				if it.ReleaseAfterItemID != nil {
					after := idFor(*it.ReleaseAfterItemID)
					r.ReleaseAfterItemID = &after
				}
				irows = append(irows, r)
			}
		}
	}
	tx := s.db.Conn(ctx)
	if len(mrows) > 0 {
		if err := tx.CreateInBatches(&mrows, 500).Error; err != nil {
			return fmt.Errorf("copy modules: %w", err)
		}
	}
	if len(lrows) > 0 {
		if err := tx.CreateInBatches(&lrows, 500).Error; err != nil {
			return fmt.Errorf("copy lessons: %w", err)
		}
	}
	if len(irows) > 0 {
		if err := tx.CreateInBatches(&irows, 500).Error; err != nil {
			return fmt.Errorf("copy items: %w", err)
		}
	}
	return nil
}

// --- reviews ---

func (s store) createReview(ctx context.Context, r Review) error {
	checklist, err := json.Marshal(checklistDoc(r.Checklist))
	if err != nil {
		return fmt.Errorf("encode checklist: %w", err)
	}
	row := reviewRow{ID: r.ID, VersionID: r.VersionID, ReviewerID: r.ReviewerID, Decision: string(r.Decision),
		Checklist: checklist, Comments: r.Comments, CreatedAt: r.CreatedAt}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("record review: %w", err)
	}
	return nil
}

func (s store) reviews(ctx context.Context, versionID uuid.UUID, req page.Request) ([]Review, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("version_id = ?", versionID), "created_at", database.KeyTime, "id", req)
	if err != nil {
		return nil, err
	}
	var rows []reviewRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list reviews: %w", err)
	}
	out := make([]Review, 0, len(rows))
	for _, r := range rows {
		rv, err := r.toReview()
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	return out, nil
}

// --- catalogue ---

// refreshCatalogue rewrites a course's catalogue entry and search terms from
// its current published version: there are none while the course is archived
// or was never published.
func (s store) refreshCatalogue(ctx context.Context, courseID uuid.UUID) error {
	tx := s.db.Conn(ctx)
	if err := tx.Exec("DELETE FROM course_catalogue WHERE course_id = ?", courseID).Error; err != nil {
		return fmt.Errorf("clear catalogue entry: %w", err)
	}
	err := tx.Exec(`INSERT INTO course_catalogue (course_id, version_id, org_id, sharing, code, title, title_key, summary,
			language, delivery_mode, level, jp_credit, tags, competency_tags, objectives_text, cover_file_id, published_at)
		SELECT c.id, v.id, c.org_id, c.sharing, c.code, v.title, lower(v.title), v.summary, v.language, v.delivery_mode,
			v.level, v.jp_credit, v.tags, v.competency_tags, array_to_string(v.objectives, ' '), v.cover_file_id, v.published_at
		FROM courses c JOIN course_versions v ON v.id = c.current_published_version_id
		WHERE c.id = ? AND c.archived_at IS NULL`, courseID).Error
	if err != nil {
		return fmt.Errorf("write catalogue entry: %w", err)
	}
	var entries []catalogueRow
	if err := tx.Select("*, title_key AS sort_key").Where("course_id = ?", courseID).Find(&entries).Error; err != nil {
		return fmt.Errorf("read catalogue entry: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	e := entries[0]
	terms := catalogueTerms(e.toEntry())
	rows := make([]termRow, len(terms))
	for i, t := range terms {
		rows[i] = termRow{Term: t, TitleKey: e.SortKey, CourseID: e.CourseID, PublishedAt: e.PublishedAt, OrgID: e.OrgID,
			Sharing: e.Sharing, DeliveryMode: e.DeliveryMode, Level: e.Level, Language: e.Language}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("write catalogue terms: %w", err)
	}
	return nil
}

type termRow struct {
	Term         string
	TitleKey     string
	CourseID     uuid.UUID
	PublishedAt  time.Time
	OrgID        uuid.UUID
	Sharing      string
	DeliveryMode string
	Level        string
	Language     string
}

func (termRow) TableName() string { return "course_catalogue_terms" }

// visibleTo is the condition "the row at alias is visible to a caller whose
// home organisation has these ancestors (itself included)": shared
// nationally, owned by an ancestor, or shared with one. Its arguments are
// the ancestors twice.
func visibleTo(alias string) string {
	return `(` + alias + `.sharing = 'national' OR ` + alias + `.org_id = ANY(?::uuid[]) OR (` + alias + `.sharing = 'listed'
		AND EXISTS (SELECT 1 FROM course_shares sh WHERE sh.course_id = ` + alias + `.course_id AND sh.org_id = ANY(?::uuid[]))))`
}

// catalogueQuery is a search of the catalogue as the store runs it.
type catalogueQuery struct {
	filter    CatalogueFilter
	all       bool        // a platform admin: no visibility filter
	ancestors []uuid.UUID // the caller's home organisation and its ancestors
	staffOrgs []uuid.UUID // organisations where the caller reads courses
}

// termCond is one search term a course must have: an exact term, or a prefix
// of words.
type termCond struct {
	op, arg string
}

// termConds lists the terms a search asks for: its words (a prefix for words
// of three characters or more), tag and competency.
func termConds(f CatalogueFilter) []termCond {
	var conds []termCond
	for _, w := range searchWords(f.Query) {
		if utf8.RuneCountInString(w) >= 3 {
			conds = append(conds, termCond{"LIKE", "w:" + w + "%"})
		} else {
			conds = append(conds, termCond{"=", "w:" + w})
		}
	}
	if f.Tag != "" {
		conds = append(conds, termCond{"=", "t:" + f.Tag})
	}
	if f.Competency != "" {
		conds = append(conds, termCond{"=", "c:" + f.Competency})
	}
	if f.OrgID != uuid.Nil {
		conds = append(conds, termCond{"=", "o:" + f.OrgID.String()})
	}
	return conds
}

// searchCatalogue returns a page (plus one) of the catalogue. A search with
// words, a tag, a competency or an organisation reads the search terms: one
// term drives (an exact one, whose rows come in title order, else the
// longest word) and the others must exist for the same course. A search
// without any browses the catalogue in title or publication order. Either
// way the rows come from indexes in page order.
func (s store) searchCatalogue(ctx context.Context, cq catalogueQuery, req page.Request) ([]catalogueRow, error) {
	f := cq.filter
	if strings.TrimSpace(f.Query) != "" && len(searchWords(f.Query)) == 0 {
		return nil, nil // no word in it: nothing matches
	}
	field, desc := req.SortField()
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	sortCol, keyExpr := "title_key", "%s.title_key"
	if field == "published_at" {
		sortCol, keyExpr = "published_at", `to_char(%s.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
	}
	var after []any
	keyType := database.KeyText
	if field == "published_at" {
		keyType = database.KeyTime
	}
	if key, id, ok, err := database.After(req, keyType); err != nil {
		return nil, err
	} else if ok {
		after = []any{key, id}
	}

	// filter adds what every search applies to the rows at alias.
	filter := func(q *gorm.DB, alias string) *gorm.DB {
		if !cq.all {
			anc := uuidArray(cq.ancestors)
			q = q.Where("("+visibleTo(alias)+" OR "+alias+".org_id = ANY(?::uuid[]))", anc, anc, uuidArray(cq.staffOrgs))
		}
		if f.Mode != "" {
			q = q.Where(alias+".delivery_mode = ?", f.Mode)
		}
		if f.Level != "" {
			q = q.Where(alias+".level = ?", f.Level)
		}
		if f.Language != "" {
			q = q.Where(alias+".language = ?", f.Language)
		}
		if after != nil {
			q = q.Where(fmt.Sprintf("(%s.%s, %s.course_id) %s (?, ?)", alias, sortCol, alias, cmp), after...)
		}
		return q.Order(fmt.Sprintf("%s.%s %s, %s.course_id %s", alias, sortCol, dir, alias, dir)).Limit(req.Limit + 1)
	}

	build := func(tx *gorm.DB) *gorm.DB {
		conds := termConds(f)
		if len(conds) == 0 {
			return filter(tx.Table("course_catalogue AS c").Select("c.*, "+fmt.Sprintf(keyExpr, "c")+" AS sort_key"), "c")
		}
		drive := 0
		for i, c := range conds {
			if c.op == "=" && conds[drive].op != "=" || c.op == conds[drive].op && len(c.arg) > len(conds[drive].arg) {
				drive = i
			}
		}
		hits := tx.Table("course_catalogue_terms AS p").Where("p.term "+conds[drive].op+" ?", conds[drive].arg)
		if conds[drive].op == "LIKE" {
			hits = hits.Distinct("p.course_id", "p.title_key", "p.published_at") // a course has several words with the prefix
		} else {
			hits = hits.Select("p.course_id, p.title_key, p.published_at")
		}
		for i, c := range conds {
			if i != drive {
				hits = hits.Where("EXISTS (SELECT 1 FROM course_catalogue_terms x WHERE x.course_id = p.course_id AND x.term "+c.op+" ?)", c.arg)
			}
		}
		return tx.Table("(?) AS h", filter(hits, "p")).
			Select("c.*, " + fmt.Sprintf(keyExpr, "h") + " AS sort_key").
			Joins("JOIN course_catalogue AS c ON c.course_id = h.course_id").
			Order(fmt.Sprintf("h.%s %s, h.course_id %s", sortCol, dir, dir))
	}
	var rows []catalogueRow
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		tx := s.db.Conn(ctx)
		// These short queries never gain from JIT compilation, which costs
		// more than the whole search when the planner's estimate invites it.
		if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
			return err
		}
		return build(tx).Find(&rows).Error
	})
	if err != nil {
		return nil, fmt.Errorf("search catalogue: %w", err)
	}
	return rows, nil
}

// searchWords splits a search into lower-case words of letters and digits,
// as the catalogue's terms are made (at most eight).
func searchWords(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), notWordRune)
	if len(words) > 8 {
		words = words[:8]
	}
	return words
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// catalogueTerms returns the search terms of a catalogue entry.
func catalogueTerms(e CatalogueEntry) []string {
	var terms []string
	add := func(t string) {
		if !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	text := e.Code + " " + e.Title + " " + strings.Join(e.Tags, " ") + " " + strings.Join(e.CompetencyTags, " ")
	for _, w := range strings.FieldsFunc(strings.ToLower(text), notWordRune) {
		add("w:" + w)
	}
	for _, t := range e.Tags {
		add("t:" + t)
	}
	for _, t := range e.CompetencyTags {
		add("c:" + t)
	}
	add("o:" + e.OrgID.String())
	return terms
}

// similar ranks the published courses of other organisations by their
// resemblance to a title, objectives and competency tags. Candidates come
// from the trigram and tag indexes; the score weighs the three measures.
// Only the entries the viewer finds in the catalogue are candidates (the
// viewer's filter is not used).
func (s store) similar(ctx context.Context, viewer catalogueQuery, orgID, courseID uuid.UUID, title, objectives string, tags []string) ([]similarRow, error) {
	visible, args := "true", []any{}
	if !viewer.all {
		anc := uuidArray(viewer.ancestors)
		visible = "(" + visibleTo("c") + " OR c.org_id = ANY(?::uuid[]))"
		args = []any{anc, anc, uuidArray(viewer.staffOrgs)}
	}
	var rows []similarRow
	err := s.db.Conn(ctx).Raw(`
		SELECT * FROM (
			SELECT c.course_id, c.version_id, c.org_id, c.code, c.title,
				similarity(c.title, ?) AS title_similarity,
				similarity(c.objectives_text, ?) AS objectives_similarity,
				CASE WHEN x.n = 0 THEN 0
					ELSE x.n::float8 / (cardinality(c.competency_tags) + cardinality(?::text[]) - x.n) END AS tag_overlap,
				x.shared AS shared_tags
			FROM course_catalogue c
			CROSS JOIN LATERAL (
				SELECT count(*) AS n, coalesce(array_agg(t ORDER BY t), '{}') AS shared
				FROM unnest(c.competency_tags) AS t WHERE t = ANY(?::text[])) x
			WHERE c.org_id <> ? AND c.course_id <> ?
				AND (c.title % ? OR (? <> '' AND c.objectives_text % ?) OR c.competency_tags && ?::text[])
				AND `+visible+`
		) m
		CROSS JOIN LATERAL (SELECT ? * m.title_similarity + ? * m.objectives_similarity + ? * m.tag_overlap AS score) sc
		WHERE sc.score >= ?
		ORDER BY sc.score DESC, m.course_id
		LIMIT ?`,
		slices.Concat([]any{title, objectives, textArray(tags), textArray(tags), orgID, courseID,
			title, objectives, objectives, textArray(tags)}, args, []any{similarTitleWeight, similarObjectivesWeight, similarTagsWeight, similarThreshold, similarLimit})...,
	).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find similar courses: %w", err)
	}
	return rows, nil
}

// --- learning paths ---

func (s store) createPath(ctx context.Context, r pathRow) error {
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create learning path: %w", translate(err))
	}
	return nil
}

func (s store) path(ctx context.Context, id uuid.UUID, forUpdate bool) (pathRow, error) {
	var r pathRow
	q := s.db.Conn(ctx).Where("id = ?", id)
	if forUpdate {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := database.Take(q, &r, ErrPathNotFound, "get learning path"); err != nil {
		return pathRow{}, err
	}
	return r, nil
}

func (s store) updatePath(ctx context.Context, id uuid.UUID, fields map[string]any) error {
	return s.update(ctx, &pathRow{}, id, fields)
}

func (s store) pathShares(ctx context.Context, pathIDs ...uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	return s.sharesIn(ctx, "learning_path_shares", "path_id", pathIDs)
}

func (s store) setPathShares(ctx context.Context, pathID uuid.UUID, orgIDs []uuid.UUID) error {
	return s.setSharesIn(ctx, "learning_path_shares", "path_id", pathID, orgIDs)
}

func (s store) setPathSteps(ctx context.Context, pathID uuid.UUID, steps []StepInput) error {
	tx := s.db.Conn(ctx)
	if err := tx.Where("path_id = ?", pathID).Delete(&pathCourseRow{}).Error; err != nil {
		return fmt.Errorf("clear path steps: %w", err)
	}
	rows := make([]pathCourseRow, len(steps))
	for i, st := range steps {
		rows[i] = pathCourseRow{PathID: pathID, CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: st.PrerequisiteCourseIDs}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Omit("PublishedVersionID").Create(&rows).Error; err != nil {
		return fmt.Errorf("write path steps: %w", err)
	}
	return nil
}

func (s store) pathSteps(ctx context.Context, pathIDs ...uuid.UUID) (map[uuid.UUID][]PathStep, error) {
	out := map[uuid.UUID][]PathStep{}
	if len(pathIDs) == 0 {
		return out, nil
	}
	var rows []pathCourseRow
	err := s.db.Conn(ctx).Table("learning_path_courses AS p").
		Select("p.*, CASE WHEN c.archived_at IS NULL THEN c.current_published_version_id END AS published_version_id").
		Joins("JOIN courses c ON c.id = p.course_id").
		Where("p.path_id IN ?", pathIDs).Order("p.path_id, p.position").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list path steps: %w", err)
	}
	for _, r := range rows {
		out[r.PathID] = append(out[r.PathID], PathStep{CourseID: r.CourseID, Position: r.Position,
			PrerequisiteCourseIDs: nonNil([]uuid.UUID(r.PrerequisiteCourseIDs)), PublishedVersionID: r.PublishedVersionID})
	}
	return out, nil
}

// listPaths lists the active learning paths visible to a caller (see
// visibleTo) or managed by them, by title then id.
func (s store) listPaths(ctx context.Context, all bool, ancestors, staffOrgs []uuid.UUID, orgID uuid.UUID, query string, req page.Request) ([]pathRow, error) {
	q := s.db.Conn(ctx).Table("learning_paths AS c").Select("c.*, lower(c.title) AS sort_key").Where("c.archived_at IS NULL")
	if !all {
		anc := uuidArray(ancestors)
		q = q.Where(`(c.sharing = 'national' OR c.org_id = ANY(?::uuid[]) OR c.org_id = ANY(?::uuid[])
			OR (c.sharing = 'listed' AND EXISTS (SELECT 1 FROM learning_path_shares sh WHERE sh.path_id = c.id AND sh.org_id = ANY(?::uuid[]))))`,
			anc, uuidArray(staffOrgs), anc)
	}
	if orgID != uuid.Nil {
		q = q.Where("c.org_id = ?", orgID)
	}
	if query = strings.TrimSpace(query); query != "" {
		q = q.Where("c.title ILIKE ? OR c.code ILIKE ?", "%"+database.EscapeLike(query)+"%", database.EscapeLike(query)+"%")
	}
	q, err := database.Keyset(q, "lower(c.title)", database.KeyText, "c.id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []pathRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list learning paths: %w", err)
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

// textArray is a PostgreSQL text[] column.
type textArray []string

// GormDataType names the column type for GORM's schema parser.
func (textArray) GormDataType() string { return "text[]" }

// Value hands the slice to pgx, which encodes it as an array.
func (a textArray) Value() (driver.Value, error) {
	if a == nil {
		return []string{}, nil
	}
	return []string(a), nil
}

// Scan reads an array in PostgreSQL's text form.
func (a *textArray) Scan(src any) error {
	elems, err := scanArray(src)
	*a = elems
	return err
}

// uuidArray is a PostgreSQL uuid[] column.
type uuidArray []uuid.UUID

// GormDataType names the column type for GORM's schema parser.
func (uuidArray) GormDataType() string { return "uuid[]" }

// Value writes the array literal, e.g. {a,b}.
func (a uuidArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id.String())
	}
	b.WriteByte('}')
	return b.String(), nil
}

// Scan reads an array in PostgreSQL's text form.
func (a *uuidArray) Scan(src any) error {
	elems, err := scanArray(src)
	if err != nil {
		return err
	}
	out := make(uuidArray, len(elems))
	for i, e := range elems {
		if out[i], err = uuid.Parse(e); err != nil {
			return fmt.Errorf("scan uuid[]: %w", err)
		}
	}
	*a = out
	return nil
}

func scanArray(src any) ([]string, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case string:
		return parseArray(v)
	case []byte:
		return parseArray(string(v))
	default:
		return nil, fmt.Errorf("scan array: unexpected %T", src)
	}
}

// parseArray parses a one-dimensional PostgreSQL array literal such as
// {a,"b c","d\"e"}; NULL elements are left out.
func parseArray(s string) ([]string, error) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, fmt.Errorf("parse array %q: not an array literal", s)
	}
	body := s[1 : len(s)-1]
	out := []string{}
	if body == "" {
		return out, nil
	}
	var b strings.Builder
	for i := 0; ; {
		b.Reset()
		if i < len(body) && body[i] == '"' {
			i++
			for i < len(body) && body[i] != '"' {
				if body[i] == '\\' && i+1 < len(body) {
					i++
				}
				b.WriteByte(body[i])
				i++
			}
			if i >= len(body) {
				return nil, fmt.Errorf("parse array %q: unterminated quote", s)
			}
			i++ // the closing quote
			out = append(out, b.String())
		} else {
			end := strings.IndexByte(body[i:], ',')
			if end < 0 {
				end = len(body) - i
			}
			if elem := strings.TrimSpace(body[i : i+end]); elem != "NULL" {
				out = append(out, elem)
			}
			i += end
		}
		if i >= len(body) {
			return out, nil
		}
		if body[i] != ',' {
			return nil, fmt.Errorf("parse array %q: expected a comma at %d", s, i)
		}
		i++
	}
}
