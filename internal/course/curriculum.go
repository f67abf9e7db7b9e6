package course

import (
	"context"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// versionID returns the version a module belongs to.
func (m Module) versionID() uuid.UUID { return m.VersionID }

// versionID returns the version a lesson belongs to.
func (l Lesson) versionID() uuid.UUID { return l.VersionID }

// versionID returns the version an item belongs to.
func (it Item) versionID() uuid.UUID { return it.VersionID }

// editChild runs change on a module, lesson or item of a draft, read with
// load. The version is resolved from the child and editVersion authorizes
// the caller on it, so a caller who may not see the draft is told the child
// is notFound; the child is read again inside the transaction that holds
// the version's row.
func editChild[T interface{ versionID() uuid.UUID }](ctx context.Context, s *Service, id uuid.UUID, notFound error,
	load func(context.Context, uuid.UUID) (T, error), change func(ctx context.Context, sc courseScope, child T) (edit, error)) error {
	child, err := load(ctx, id)
	if err != nil {
		return err
	}
	_, err = s.editVersion(ctx, child.versionID(), notFound, 0, func(ctx context.Context, sc courseScope, v Version) (edit, error) {
		child, err := load(ctx, id)
		if err != nil {
			return edit{}, err
		}
		if child.versionID() != v.ID {
			return edit{}, notFound
		}
		return change(ctx, sc, child)
	})
	return err
}

// deleteChild removes a module, lesson or item of a draft (row names its
// table) with what lies under it, recording entity.delete.
func deleteChild[T interface{ versionID() uuid.UUID }](ctx context.Context, s *Service, id uuid.UUID, notFound error,
	load func(context.Context, uuid.UUID) (T, error), row any, entity string) error {
	return editChild(ctx, s, id, notFound, load, func(ctx context.Context, sc courseScope, before T) (edit, error) {
		if err := s.store.remove(ctx, row, id); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change(entity+".delete", entity, id, before, nil)}, nil
	})
}

// AddModule appends a module to a draft.
func (s *Service) AddModule(ctx context.Context, versionID uuid.UUID, in ModuleInput) (Module, error) {
	m := Module{ID: newID(), VersionID: versionID, Lessons: []Lesson{}}
	_, err := s.editVersion(ctx, versionID, ErrVersionNotFound, 0, func(ctx context.Context, sc courseScope, v Version) (edit, error) {
		if err := in.apply(&m.Title, &m.Summary); err != nil {
			return edit{}, err
		}
		var err error
		if m.Position, err = s.store.nextPosition(ctx, "course_modules", "version_id", v.ID); err != nil {
			return edit{}, err
		}
		if err := s.store.saveModule(ctx, m, true); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_module.create", "course_module", m.ID, nil, m)}, nil
	})
	return m, err
}

// UpdateModule changes a module of a draft.
func (s *Service) UpdateModule(ctx context.Context, id uuid.UUID, in ModuleInput) (Module, error) {
	var m Module
	err := editChild(ctx, s, id, ErrModuleNotFound, s.store.module, func(ctx context.Context, sc courseScope, before Module) (edit, error) {
		m = before
		if err := in.apply(&m.Title, &m.Summary); err != nil {
			return edit{}, err
		}
		if err := s.store.saveModule(ctx, m, false); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_module.update", "course_module", id, before, m)}, nil
	})
	return m, err
}

// DeleteModule removes a module of a draft with its lessons and items.
func (s *Service) DeleteModule(ctx context.Context, id uuid.UUID) error {
	return deleteChild(ctx, s, id, ErrModuleNotFound, s.store.module, &moduleRow{}, "course_module")
}

// AddLesson appends a lesson to a module of a draft.
func (s *Service) AddLesson(ctx context.Context, moduleID uuid.UUID, in ModuleInput) (Lesson, error) {
	l := Lesson{ID: newID(), ModuleID: moduleID, Items: []Item{}}
	err := editChild(ctx, s, moduleID, ErrModuleNotFound, s.store.module, func(ctx context.Context, sc courseScope, m Module) (edit, error) {
		l.VersionID = m.VersionID
		if err := in.apply(&l.Title, &l.Summary); err != nil {
			return edit{}, err
		}
		var err error
		if l.Position, err = s.store.nextPosition(ctx, "course_lessons", "module_id", moduleID); err != nil {
			return edit{}, err
		}
		if err := s.store.saveLesson(ctx, l, true); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_lesson.create", "course_lesson", l.ID, nil, l)}, nil
	})
	return l, err
}

// UpdateLesson changes a lesson of a draft.
func (s *Service) UpdateLesson(ctx context.Context, id uuid.UUID, in ModuleInput) (Lesson, error) {
	var l Lesson
	err := editChild(ctx, s, id, ErrLessonNotFound, s.store.lesson, func(ctx context.Context, sc courseScope, before Lesson) (edit, error) {
		l = before
		if err := in.apply(&l.Title, &l.Summary); err != nil {
			return edit{}, err
		}
		if err := s.store.saveLesson(ctx, l, false); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_lesson.update", "course_lesson", id, before, l)}, nil
	})
	return l, err
}

// DeleteLesson removes a lesson of a draft with its items.
func (s *Service) DeleteLesson(ctx context.Context, id uuid.UUID) error {
	return deleteChild(ctx, s, id, ErrLessonNotFound, s.store.lesson, &lessonRow{}, "course_lesson")
}

// AddItem appends a content item to a lesson of a draft. Text is sanitized;
// a new item is required unless said otherwise.
func (s *Service) AddItem(ctx context.Context, lessonID uuid.UUID, in ItemInput) (Item, error) {
	var it Item
	err := editChild(ctx, s, lessonID, ErrLessonNotFound, s.store.lesson, func(ctx context.Context, sc courseScope, l Lesson) (edit, error) {
		it = Item{ID: newID(), LessonID: lessonID, VersionID: l.VersionID, Required: true}
		if err := in.apply(&it); err != nil {
			return edit{}, err
		}
		if err := s.checkItem(ctx, sc, nil, it); err != nil {
			return edit{}, err
		}
		var err error
		if it.Position, err = s.store.nextPosition(ctx, "course_items", "lesson_id", lessonID); err != nil {
			return edit{}, err
		}
		if err := s.store.saveItem(ctx, it, true); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_item.create", "course_item", it.ID, nil, it)}, nil
	})
	return it, err
}

// UpdateItem changes a content item of a draft; its kind stays.
func (s *Service) UpdateItem(ctx context.Context, id uuid.UUID, in ItemInput) (Item, error) {
	var it Item
	err := editChild(ctx, s, id, ErrItemNotFound, s.store.item, func(ctx context.Context, sc courseScope, before Item) (edit, error) {
		it = before
		if err := in.apply(&it); err != nil {
			return edit{}, err
		}
		if err := s.checkItem(ctx, sc, before.FileID, it); err != nil {
			return edit{}, err
		}
		if err := s.store.saveItem(ctx, it, false); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_item.update", "course_item", id, before, it)}, nil
	})
	return it, err
}

// DeleteItem removes a content item of a draft; items that waited for it no
// longer wait.
func (s *Service) DeleteItem(ctx context.Context, id uuid.UUID) error {
	return deleteChild(ctx, s, id, ErrItemNotFound, s.store.item, &itemRow{}, "course_item")
}

// checkItem checks what an item refers to: the file it starts to carry
// (beforeFile is the one it carried) and the item it waits for.
func (s *Service) checkItem(ctx context.Context, sc courseScope, beforeFile *uuid.UUID, it Item) error {
	if err := s.checkMedia(ctx, sc.actor, beforeFile, it); err != nil {
		return err
	}
	return s.checkRelease(ctx, it)
}

// checkRelease checks an item's "after completing" rule: the item waited for
// belongs to the same version and the rules form no cycle.
func (s *Service) checkRelease(ctx context.Context, it Item) error {
	if it.ReleaseAfterItemID == nil {
		return nil
	}
	chain, err := s.store.releaseChain(ctx, it.VersionID)
	if err != nil {
		return err
	}
	if _, ok := chain[*it.ReleaseAfterItemID]; !ok {
		return apperr.Invalid("release_after_item_id", "harus materi dari versi yang sama", "must be an item of the same version")
	}
	chain[it.ID] = it.ReleaseAfterItemID
	for at, steps := it.ReleaseAfterItemID, 0; at != nil; at, steps = chain[*at], steps+1 {
		if *at == it.ID || steps > len(chain) {
			return apperr.Invalid("release_after_item_id", "aturan pembukaan membentuk lingkaran", "the release rules form a cycle")
		}
	}
	return nil
}
