package course

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// Versions lists a course's versions, newest first: every one for its
// staff, the published ones for others who find it in the catalogue.
func (s *Service) Versions(ctx context.Context, courseID uuid.UUID, req page.Request) (page.Result[Version], error) {
	if err := database.CheckCursor(req, database.KeyNone); err != nil {
		return page.Result[Version]{}, err
	}
	sc, err := s.scope(ctx, courseID, false)
	if err != nil {
		return page.Result[Version]{}, err
	}
	if !sc.staff() && !sc.inCatalogue() {
		return page.Result[Version]{}, ErrCourseNotFound
	}
	versions, err := s.store.versions(ctx, courseID, !sc.staff(), req)
	if err != nil {
		return page.Result[Version]{}, err
	}
	return page.Build(versions, req.Limit, func(v Version) page.Position { return page.Position{ID: v.ID.String()} }), nil
}

// Version returns a version with its curriculum. Staff and those who learn in
// it read everything; others who find the course in the catalogue read the
// outline of its published versions, without the content itself.
func (s *Service) Version(ctx context.Context, id uuid.UUID) (Version, error) {
	v, err := s.store.version(ctx, id, false)
	if err != nil {
		return Version{}, err
	}
	sc, err := s.scope(ctx, v.CourseID, false)
	if err != nil {
		return Version{}, err
	}
	full := sc.staff()
	if !full {
		if full, err = s.learns(ctx, sc.actor, v); err != nil {
			return Version{}, err
		}
	}
	if !full && !sc.seesVersion(v) {
		return Version{}, ErrVersionNotFound
	}
	if v.Modules, err = s.store.curriculum(ctx, id); err != nil {
		return Version{}, err
	}
	if !full {
		v.ContentHidden = true
		for mi := range v.Modules {
			for li := range v.Modules[mi].Lessons {
				for ii := range v.Modules[mi].Lessons[li].Items {
					it := &v.Modules[mi].Lessons[li].Items[ii]
					it.Body, it.URL, it.FileID, it.RefID = "", "", nil, nil
				}
			}
		}
	}
	return v, nil
}

// NewDraft starts the next version of a course from its published one, with
// a copy of its curriculum. A course has at most one open draft.
func (s *Service) NewDraft(ctx context.Context, courseID uuid.UUID) (Version, error) {
	var draft Version
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.scope(ctx, courseID, true)
		if err != nil {
			return err
		}
		if _, err := authorize(sc, sc.inCatalogue(), ErrCourseNotFound, authz.CourseAuthor); err != nil {
			return err
		}
		if sc.course.ArchivedAt != nil {
			return ErrCourseArchived
		}
		current, err := s.store.currentVersions(ctx, []uuid.UUID{courseID})
		if err != nil {
			return err
		}
		if slices.ContainsFunc(current, func(v Version) bool { return v.Status.Open() }) {
			return ErrDraftExists
		}
		if sc.course.PublishedVersionID == nil {
			return ErrNothingPublished
		}
		published, err := s.store.version(ctx, *sc.course.PublishedVersionID, false)
		if err != nil {
			return err
		}
		number, err := s.store.nextVersionNumber(ctx, courseID)
		if err != nil {
			return err
		}
		now := s.now()
		draft = published
		draft.ID, draft.Number, draft.Status, draft.LockVersion = newID(), number, StatusDraft, 1
		draft.CreatedBy, draft.CreatedAt, draft.UpdatedAt = sc.actor.UserID, now, now
		draft.SubmittedAt, draft.SubmittedBy, draft.PublishedAt, draft.PublishedBy = nil, nil, nil, nil
		if err := s.store.createVersion(ctx, draft); err != nil {
			return err
		}
		items, err := s.store.copyCurriculum(ctx, published.ID, draft.ID)
		if err != nil {
			return err
		}
		if s.itemCopier != nil {
			if err := s.itemCopier.CopyItems(ctx, draft.ID, items); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("course_version.create", "course_version", draft.ID,
			nil, map[string]any{"from_version_id": published.ID, "version": draft}))
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, draft.ID)
}

// withVersion runs fn in a transaction holding a version's row, with the
// course as the caller meets it. A missing version is reported as notFound.
func (s *Service) withVersion(ctx context.Context, versionID uuid.UUID, notFound error,
	fn func(ctx context.Context, sc courseScope, v Version) error) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		v, err := s.store.version(ctx, versionID, true)
		if errors.Is(err, ErrVersionNotFound) {
			return notFound
		}
		if err != nil {
			return err
		}
		sc, err := s.scope(ctx, v.CourseID, false)
		if err != nil {
			return err
		}
		return fn(ctx, sc, v)
	})
}

// edit is one change of a draft: the version columns it sets (maybe none)
// and what the audit log records.
type edit struct {
	fields map[string]any
	change audit.Change
}

// editVersion runs change on a version the caller authors, once the version
// may change: its course is not archived, it is a draft (or has changes
// requested), and it still has the lock version the caller expects (0 for
// any). The version's lock version moves on with every change, and the
// change is recorded in the same transaction.
func (s *Service) editVersion(ctx context.Context, versionID uuid.UUID, notFound error, expect int,
	change func(ctx context.Context, sc courseScope, v Version) (edit, error)) (Version, error) {
	var out Version
	err := s.withVersion(ctx, versionID, notFound, func(ctx context.Context, sc courseScope, v Version) error {
		if _, err := authorize(sc, sc.seesVersion(v), notFound, authz.CourseAuthor); err != nil {
			return err
		}
		if expect != 0 && expect != v.LockVersion {
			return ErrVersionChanged
		}
		if sc.course.ArchivedAt != nil {
			return ErrCourseArchived
		}
		if !v.Status.Editable() {
			return ErrVersionImmutable
		}
		e, err := change(ctx, sc, v)
		if err != nil {
			return err
		}
		if e.fields == nil {
			e.fields = map[string]any{}
		}
		if err := s.store.updateVersion(ctx, v.ID, e.fields); err != nil {
			return err
		}
		if err := s.store.addEditor(ctx, v.ID, sc.actor.UserID); err != nil {
			return err
		}
		if out, err = s.store.version(ctx, v.ID, false); err != nil {
			return err
		}
		e.change.OrgID, e.change.OrgPath = sc.course.OrgID, sc.path
		return s.audit.Record(ctx, authz.CourseAuthor, e.change)
	})
	return out, err
}

// UpdateVersion changes the fields of a draft. expect is the lock version
// the caller read (its ETag), or 0 to skip the check.
func (s *Service) UpdateVersion(ctx context.Context, id uuid.UUID, p VersionPatch, expect int) (Version, error) {
	return s.editVersion(ctx, id, ErrVersionNotFound, expect, func(ctx context.Context, sc courseScope, v Version) (edit, error) {
		after := v
		p.apply(&after)
		if err := after.normalize(); err != nil {
			return edit{}, err
		}
		if err := s.checkCover(ctx, sc.actor, v.CoverFileID, after.CoverFileID); err != nil {
			return edit{}, err
		}
		return edit{fields: toVersionRow(after).contentFields(),
			change: sc.change("course_version.update", "course_version", v.ID, v, after)}, nil
	})
}

// Reorder puts a draft's curriculum in the order of the outline, which must
// list every module, lesson and item of the version exactly once.
func (s *Service) Reorder(ctx context.Context, id uuid.UUID, o Outline, expect int) (Version, error) {
	_, err := s.editVersion(ctx, id, ErrVersionNotFound, expect, func(ctx context.Context, sc courseScope, v Version) (edit, error) {
		mods, err := s.store.curriculum(ctx, v.ID)
		if err != nil {
			return edit{}, err
		}
		if err := checkOutline(mods, o); err != nil {
			return edit{}, err
		}
		if err := s.store.reorder(ctx, o); err != nil {
			return edit{}, err
		}
		return edit{change: sc.change("course_version.reorder", "course_version", v.ID, outlineOf(mods), o)}, nil
	})
	if err != nil {
		return Version{}, err
	}
	return s.Version(ctx, id)
}

// checkOutline checks that o names every module, lesson and item of mods once.
func checkOutline(mods []Module, o Outline) error {
	want := map[uuid.UUID]string{}
	for _, m := range mods {
		want[m.ID] = "module"
		for _, l := range m.Lessons {
			want[l.ID] = "lesson"
			for _, it := range l.Items {
				want[it.ID] = "item"
			}
		}
	}
	seen := map[uuid.UUID]bool{}
	ok := true
	take := func(id uuid.UUID, kind string) {
		if want[id] != kind || seen[id] {
			ok = false
		}
		seen[id] = true
	}
	for _, m := range o {
		take(m.ID, "module")
		for _, l := range m.Lessons {
			take(l.ID, "lesson")
			for _, it := range l.ItemIDs {
				take(it, "item")
			}
		}
	}
	if !ok || len(seen) != len(want) {
		return apperr.Invalid("modules", "urutan harus memuat setiap modul, pelajaran dan materi versi ini tepat satu kali",
			"the outline must list every module, lesson and item of this version exactly once")
	}
	return nil
}

func outlineOf(mods []Module) Outline {
	o := make(Outline, len(mods))
	for i, m := range mods {
		o[i].ID = m.ID
		for _, l := range m.Lessons {
			ol := OutlineLesson{ID: l.ID}
			for _, it := range l.Items {
				ol.ItemIDs = append(ol.ItemIDs, it.ID)
			}
			o[i].Lessons = append(o[i].Lessons, ol)
		}
	}
	return o
}
