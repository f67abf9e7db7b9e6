package course

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/page"
)

// MediaURL returns a short-lived download URL of an item's file to a caller
// who may see the item: the course's staff, or a learner in the version once
// the item's release date has passed.
func (s *Service) MediaURL(ctx context.Context, itemID uuid.UUID) (objectstore.Presigned, error) {
	it, err := s.store.item(ctx, itemID)
	if err != nil {
		return objectstore.Presigned{}, err
	}
	v, err := s.store.version(ctx, it.VersionID, false)
	if err != nil {
		return objectstore.Presigned{}, err
	}
	sc, err := s.scope(ctx, v.CourseID, false)
	if err != nil {
		return objectstore.Presigned{}, err
	}
	if !sc.staff() {
		learner, err := s.learns(ctx, sc.actor, v)
		if err != nil {
			return objectstore.Presigned{}, err
		}
		if err := authz.Decide(sc.seesVersion(v), learner, ErrItemNotFound); err != nil {
			return objectstore.Presigned{}, err
		}
		if it.ReleaseAt != nil && s.now().Before(*it.ReleaseAt) {
			return objectstore.Presigned{}, ErrItemNotReleased
		}
	}
	if it.FileID == nil {
		return objectstore.Presigned{}, ErrNoMedia
	}
	if s.files == nil {
		return objectstore.Presigned{}, ErrMediaUnavailable.WithRetryAfter(60)
	}
	return s.files.DownloadURL(ctx, *it.FileID, "")
}

// Catalogue searches the published courses the caller may see across the
// country: shared nationally, owned by or shared with an organisation above
// their home organisation, or owned by one where they read courses.
func (s *Service) Catalogue(ctx context.Context, f CatalogueFilter, req page.Request) (page.Result[CatalogueEntry], error) {
	if err := f.validate(); err != nil {
		return page.Result[CatalogueEntry]{}, err
	}
	if err := checkList(req, ""); err != nil {
		return page.Result[CatalogueEntry]{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[CatalogueEntry]{}, err
	}
	cq, err := s.catalogueOf(ctx, actor)
	if err != nil {
		return page.Result[CatalogueEntry]{}, err
	}
	cq.filter = f
	rows, err := s.store.searchCatalogue(ctx, cq, req)
	if err != nil {
		return page.Result[CatalogueEntry]{}, err
	}
	res := page.Build(rows, req.Limit, func(r catalogueRow) page.Position {
		return page.Position{Key: r.SortKey, ID: r.CourseID.String()}
	})
	entries := make([]CatalogueEntry, len(res.Items))
	for i, r := range res.Items {
		entries[i] = r.toEntry()
	}
	return page.Result[CatalogueEntry]{Items: entries, NextCursor: res.NextCursor}, nil
}

// catalogueOf returns the unfiltered catalogue as the actor sees it.
func (s *Service) catalogueOf(ctx context.Context, actor *authz.Actor) (catalogueQuery, error) {
	_, all := actor.Roots(authz.CourseRead)
	staff, err := s.staffOrgs(ctx, actor, authz.CourseRead)
	return catalogueQuery{all: all, ancestors: ancestorIDs(actor.HomeOrgPath), staffOrgs: staff}, err
}

// PublishedVersion returns what the delivery package needs of a version that
// was published, without authorizing: its course, JP credit and content
// items in curriculum order. A version never published is
// ErrVersionNotPublished.
func (s *Service) PublishedVersion(ctx context.Context, versionID uuid.UUID) (VersionSummary, error) {
	v, err := s.store.version(ctx, versionID, false)
	if err != nil {
		return VersionSummary{}, err
	}
	if !v.Status.WasPublished() {
		return VersionSummary{}, ErrVersionNotPublished
	}
	course, err := s.store.course(ctx, v.CourseID, false)
	if err != nil {
		return VersionSummary{}, err
	}
	items, err := s.publishedItems(ctx, v.ID)
	if err != nil {
		return VersionSummary{}, err
	}
	status := string(v.Status)
	if course.ArchivedAt != nil {
		status = string(StatusArchived)
	}
	return VersionSummary{VersionID: v.ID, CourseID: v.CourseID, OrgID: course.OrgID, Title: v.Title, JPCredit: v.JPCredit,
		DeliveryMode: string(v.DeliveryMode), Status: status, CompetencyTags: v.CompetencyTags, Items: items}, nil
}

// publishedItems returns the content items of a published version in
// curriculum order. They never change once published (a change is a new
// version), so each process reads them once: every graded attempt and
// every gradebook result of an exam asks for its class's version, and the
// curriculum's three reads were half of what answering cost.
func (s *Service) publishedItems(ctx context.Context, versionID uuid.UUID) ([]ItemSummary, error) {
	if items, ok := s.published.Get(versionID); ok {
		return slices.Clone(items), nil
	}
	mods, err := s.store.curriculum(ctx, versionID)
	if err != nil {
		return nil, err
	}
	items := []ItemSummary{}
	for _, m := range mods {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				items = append(items, ItemSummary{ID: it.ID, Kind: string(it.Kind), Required: it.Required,
					ReleaseAt: it.ReleaseAt, ReleaseAfterItemID: it.ReleaseAfterItemID, EstimatedMinutes: it.EstimatedMinutes})
			}
		}
	}
	s.published.Put(versionID, items)
	return slices.Clone(items), nil
}

// SharedWith returns which of courseIDs an organisation at any of orgPaths
// may use under the course's sharing (national, the owner's subtree, or the
// listed organisations and their subtrees), without authorizing the caller:
// the delivery package asks it where a class of the course may be opened,
// seen and joined. Unknown courses are left out.
func (s *Service) SharedWith(ctx context.Context, courseIDs []uuid.UUID, orgPaths []string) (map[uuid.UUID]bool, error) {
	out := map[uuid.UUID]bool{}
	if len(courseIDs) == 0 || len(orgPaths) == 0 {
		return out, nil
	}
	rows, err := s.store.courses(ctx, courseIDs)
	if err != nil {
		return nil, err
	}
	shares, err := s.store.shares(ctx, courseIDs...)
	if err != nil {
		return nil, err
	}
	ownerPaths := map[uuid.UUID]string{}
	for id, r := range rows {
		ownerPath, ok := ownerPaths[r.OrgID]
		if !ok {
			if ownerPath, err = s.orgs.OrgPath(ctx, r.OrgID); err != nil {
				return nil, fmt.Errorf("resolve course organisation: %w", err)
			}
			ownerPaths[r.OrgID] = ownerPath
		}
		for _, p := range orgPaths {
			if sharedTo(p, Sharing(r.Sharing), ownerPath, shares[id]) {
				out[id] = true
				break
			}
		}
	}
	return out, nil
}

// CourseOf returns the course a version belongs to, without authorizing.
func (s *Service) CourseOf(ctx context.Context, versionID uuid.UUID) (Course, error) {
	v, err := s.store.version(ctx, versionID, false)
	if err != nil {
		return Course{}, err
	}
	row, err := s.store.course(ctx, v.CourseID, false)
	if err != nil {
		return Course{}, err
	}
	shares, err := s.store.shares(ctx, row.ID)
	if err != nil {
		return Course{}, err
	}
	return row.toCourse(nonNil(shares[row.ID])), nil
}

// ItemOwner is where a content item lives, for a domain that keeps things
// keyed by an item (a quiz is the quiz item's settings).
type ItemOwner struct {
	ItemID, VersionID, CourseID, OrgID uuid.UUID
	Kind                               ItemKind
	Status                             VersionStatus
}

// ItemOwnerOf returns where an item lives, without authorizing.
func (s *Service) ItemOwnerOf(ctx context.Context, itemID uuid.UUID) (ItemOwner, error) {
	it, err := s.store.item(ctx, itemID)
	if err != nil {
		return ItemOwner{}, err
	}
	v, err := s.store.version(ctx, it.VersionID, false)
	if err != nil {
		return ItemOwner{}, err
	}
	row, err := s.store.course(ctx, v.CourseID, false)
	if err != nil {
		return ItemOwner{}, err
	}
	return ItemOwner{ItemID: it.ID, VersionID: v.ID, CourseID: row.ID, OrgID: row.OrgID, Kind: it.Kind, Status: v.Status}, nil
}
