package course

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/database"
)

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
		now, database.UUIDArray(modIDs), database.TextArray(modPos)).Error; err != nil {
		return fmt.Errorf("reorder modules: %w", err)
	}
	if err := tx.Exec(`UPDATE course_lessons AS l SET module_id = u.module_id, position = u.position, updated_at = ?
		FROM unnest(?::uuid[], ?::uuid[], ?::text[]::int[]) AS u(id, module_id, position) WHERE l.id = u.id`,
		now, database.UUIDArray(lessonIDs), database.UUIDArray(lessonParents), database.TextArray(lessonPos)).Error; err != nil {
		return fmt.Errorf("reorder lessons: %w", err)
	}
	if err := tx.Exec(`UPDATE course_items AS i SET lesson_id = u.lesson_id, position = u.position, updated_at = ?
		FROM unnest(?::uuid[], ?::uuid[], ?::text[]::int[]) AS u(id, lesson_id, position) WHERE i.id = u.id`,
		now, database.UUIDArray(itemIDs), database.UUIDArray(itemParents), database.TextArray(itemPos)).Error; err != nil {
		return fmt.Errorf("reorder items: %w", err)
	}
	return nil
}

// copyCurriculum copies the modules, lessons and items of one version into
// another under new ids, keeping release rules pointing within the copy, and
// returns each copied item's new id by its old one.
func (s store) copyCurriculum(ctx context.Context, from, to uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
	mods, err := s.curriculum(ctx, from)
	if err != nil {
		return nil, err
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
	items := map[uuid.UUID]uuid.UUID{}
	for _, m := range mods {
		mid := idFor(m.ID)
		mrows = append(mrows, moduleRow{ID: mid, VersionID: to, Position: m.Position, Title: m.Title, Summary: m.Summary, CreatedAt: now, UpdatedAt: now})
		for _, l := range m.Lessons {
			lid := idFor(l.ID)
			lrows = append(lrows, lessonRow{ID: lid, ModuleID: mid, VersionID: to, Position: l.Position, Title: l.Title, Summary: l.Summary, CreatedAt: now, UpdatedAt: now})
			for _, it := range l.Items {
				r := toItemRow(it)
				r.ID, r.LessonID, r.VersionID, r.CreatedAt, r.UpdatedAt = idFor(it.ID), lid, to, now, now
				items[it.ID] = r.ID
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
			return nil, fmt.Errorf("copy modules: %w", err)
		}
	}
	if len(lrows) > 0 {
		if err := tx.CreateInBatches(&lrows, 500).Error; err != nil {
			return nil, fmt.Errorf("copy lessons: %w", err)
		}
	}
	if len(irows) > 0 {
		if err := tx.CreateInBatches(&irows, 500).Error; err != nil {
			return nil, fmt.Errorf("copy items: %w", err)
		}
	}
	return items, nil
}
