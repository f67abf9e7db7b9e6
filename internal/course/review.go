package course

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// Submit sends a draft for review once it is complete: at least one module,
// lesson and required item, learning objectives and a JP credit. It returns
// the published courses of other organisations that resemble it, for the
// author and the reviewer to weigh before publishing.
func (s *Service) Submit(ctx context.Context, id uuid.UUID) (Version, []Similar, error) {
	var out Version
	err := s.withVersion(ctx, id, ErrVersionNotFound, func(ctx context.Context, sc courseScope, v Version) error {
		if _, err := authorize(sc, sc.seesVersion(v), ErrVersionNotFound, authz.CourseAuthor); err != nil {
			return err
		}
		if sc.course.ArchivedAt != nil {
			return ErrCourseArchived
		}
		if !v.Status.Editable() {
			return ErrNotSubmittable
		}
		modules, lessons, required, err := s.store.counts(ctx, v.ID)
		if err != nil {
			return err
		}
		if missing := v.missing(modules, lessons, required); len(missing) > 0 {
			return errIncomplete(missing)
		}
		now := s.now()
		if err := s.store.updateVersion(ctx, v.ID, map[string]any{
			"status": StatusInReview, "submitted_at": now, "submitted_by": sc.actor.UserID,
		}); err != nil {
			return err
		}
		if out, err = s.store.version(ctx, v.ID, false); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("course_version.submit", "course_version", v.ID,
			map[string]any{"status": v.Status}, map[string]any{"status": out.Status, "submitted_at": now}))
	})
	if err != nil {
		return Version{}, nil, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Version{}, nil, err
	}
	similar, err := s.similarTo(ctx, actor, out)
	if err != nil {
		return Version{}, nil, err
	}
	return out, similar, nil
}

// Review records a reviewer's decision on a version in review. Only
// reviewers of the owning organisation decide. Approving needs every
// checklist item and publishes the version: the previous published version
// is archived for new classes (those that pinned it keep it) and the
// catalogue shows the new one. Requesting changes needs comments and sends
// the version back to its authors.
func (s *Service) Review(ctx context.Context, versionID uuid.UUID, in ReviewInput) (Review, Version, error) {
	if err := in.validate(); err != nil {
		return Review{}, Version{}, err
	}
	var review Review
	var out Version
	err := s.withVersion(ctx, versionID, ErrVersionNotFound, func(ctx context.Context, sc courseScope, v Version) error {
		if _, err := authorize(sc, sc.seesVersion(v), ErrVersionNotFound, authz.CourseReview); err != nil {
			return err
		}
		if sc.course.ArchivedAt != nil {
			return ErrCourseArchived
		}
		if v.Status != StatusInReview {
			return ErrNotInReview
		}
		if err := s.checkFourEyes(ctx, sc.actor, v); err != nil {
			return err
		}
		if unchecked := in.Checklist.unchecked(); in.Decision == DecisionApprove && len(unchecked) > 0 {
			return errChecklist(unchecked)
		}
		now := s.now()
		review = Review{ID: newID(), VersionID: v.ID, ReviewerID: sc.actor.UserID, Decision: in.Decision,
			Checklist: in.Checklist, Comments: in.Comments, CreatedAt: now}
		if err := s.store.createReview(ctx, review); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, authz.CourseReview, sc.change("course_version.review", "course_version", v.ID, nil, review)); err != nil {
			return err
		}
		if in.Decision == DecisionRequestChanges {
			if err := s.store.updateVersion(ctx, v.ID, map[string]any{"status": StatusChangesRequested}); err != nil {
				return err
			}
		} else if err := s.publish(ctx, sc, v, now); err != nil {
			return err
		}
		var err error
		out, err = s.store.version(ctx, v.ID, false)
		return err
	})
	if err != nil {
		return Review{}, Version{}, err
	}
	return review, out, nil
}

// checkFourEyes refuses a review by someone who wrote the version (its
// creator or anyone who changed it) or submitted it: every decision on a
// version, approving and publishing it or sending it back, takes a second
// person.
func (s *Service) checkFourEyes(ctx context.Context, actor *authz.Actor, v Version) error {
	if v.CreatedBy == actor.UserID || v.SubmittedBy != nil && *v.SubmittedBy == actor.UserID {
		return ErrOwnWork
	}
	wrote, err := s.store.wrote(ctx, v.ID, actor.UserID)
	if err != nil {
		return err
	}
	if wrote {
		return ErrOwnWork
	}
	return nil
}

// publish makes v the course's published version.
func (s *Service) publish(ctx context.Context, sc courseScope, v Version, now time.Time) error {
	course, err := s.store.course(ctx, v.CourseID, true)
	if err != nil {
		return err
	}
	if err := s.store.archivePublished(ctx, v.CourseID); err != nil {
		return err
	}
	if err := s.store.updateVersion(ctx, v.ID, map[string]any{
		"status": StatusPublished, "published_at": now, "published_by": sc.actor.UserID,
	}); err != nil {
		return err
	}
	if err := s.store.updateCourse(ctx, v.CourseID, map[string]any{"current_published_version_id": v.ID}); err != nil {
		return err
	}
	if err := s.store.refreshCatalogue(ctx, v.CourseID); err != nil {
		return err
	}
	return s.audit.Record(ctx, authz.CourseReview, sc.change("course_version.publish", "course_version", v.ID,
		map[string]any{"published_version_id": course.CurrentPublishedVersionID},
		map[string]any{"published_version_id": v.ID, "published_at": now}))
}

// Reviews lists a page of the review decisions on a version, oldest first,
// for the course's staff.
func (s *Service) Reviews(ctx context.Context, versionID uuid.UUID, req page.Request) (page.Result[Review], error) {
	if err := database.CheckCursor(req, database.KeyTime); err != nil {
		return page.Result[Review]{}, err
	}
	if _, _, err := s.staffVersion(ctx, versionID); err != nil {
		return page.Result[Review]{}, err
	}
	rows, err := s.store.reviews(ctx, versionID, req)
	if err != nil {
		return page.Result[Review]{}, err
	}
	return page.Build(rows, req.Limit, func(r Review) page.Position {
		return page.Position{Key: r.CreatedAt.UTC().Format(database.KeyTime.KeyLayout()), ID: r.ID.String()}
	}), nil
}

// staffVersion loads a version for its course's staff.
func (s *Service) staffVersion(ctx context.Context, versionID uuid.UUID) (courseScope, Version, error) {
	v, err := s.store.version(ctx, versionID, false)
	if err != nil {
		return courseScope{}, Version{}, err
	}
	sc, err := s.scope(ctx, v.CourseID, false)
	if err != nil {
		return courseScope{}, Version{}, err
	}
	if _, err := authorize(sc, sc.seesVersion(v), ErrVersionNotFound, authz.CourseRead); err != nil {
		return courseScope{}, Version{}, err
	}
	return sc, v, nil
}

// Similar returns the published courses of other organisations that resemble
// a version, most alike first, for the course's staff.
func (s *Service) Similar(ctx context.Context, versionID uuid.UUID) ([]Similar, error) {
	sc, v, err := s.staffVersion(ctx, versionID)
	if err != nil {
		return nil, err
	}
	return s.similarTo(ctx, sc.actor, v)
}

// similarTo finds the published courses resembling v among those the
// actor finds in the catalogue: another organisation's private course stays
// out of sight here too.
func (s *Service) similarTo(ctx context.Context, actor *authz.Actor, v Version) ([]Similar, error) {
	course, err := s.store.course(ctx, v.CourseID, false)
	if err != nil {
		return nil, err
	}
	cq, err := s.catalogueOf(ctx, actor)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.similar(ctx, cq, course.OrgID, course.ID, v.Title, strings.Join(v.Objectives, " "), v.CompetencyTags)
	if err != nil {
		return nil, err
	}
	out := make([]Similar, len(rows))
	for i, r := range rows {
		out[i] = Similar{CourseID: r.CourseID, VersionID: r.VersionID, OrgID: r.OrgID, Code: r.Code, Title: r.Title,
			Score: r.Score, TitleSimilarity: r.TitleSimilarity, ObjectivesSimilarity: r.ObjectivesSimilarity,
			TagOverlap: r.TagOverlap, SharedTags: nonNil(r.SharedTags)}
	}
	return out, nil
}
