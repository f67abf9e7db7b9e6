package course

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/memo"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/upload"
)

// OrgPaths resolves an organisation's path; the identity service provides it.
// Paths change when subtrees move, so they are resolved at every check and
// never stored.
type OrgPaths interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
	// OrgsUnder returns the ids of every organisation in the subtrees
	// rooted at paths.
	OrgsUnder(ctx context.Context, paths []string) ([]uuid.UUID, error)
}

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// Files reads stored files and hands out short-lived download URLs of them;
// the upload service provides it. An empty filename keeps the stored one.
type Files interface {
	File(ctx context.Context, id uuid.UUID) (upload.File, error)
	DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (objectstore.Presigned, error)
}

// Access tells whether a user learns in a version (is enrolled in a class
// that pinned it); the delivery service provides it.
type Access interface {
	CanLearn(ctx context.Context, userID, versionID uuid.UUID) (bool, error)
}

// ItemCopier copies what another domain keeps by a content item (a quiz's
// settings) when a new draft copies the curriculum under new item ids; the
// quiz service provides it. It runs in the draft's transaction.
type ItemCopier interface {
	CopyItems(ctx context.Context, versionID uuid.UUID, newIDs map[uuid.UUID]uuid.UUID) error
}

// Service runs the use cases of courses, their versions and curricula, the
// review, the catalogue and learning paths. Every method authorizes the
// caller from the context against the owning organisation's subtree; a thing
// the caller may not see is reported as not found.
type Service struct {
	db     *database.DB
	store  store
	orgs   OrgPaths
	audit  Auditor
	files  Files
	access Access
	now    func() time.Time

	itemCopier ItemCopier
	// published holds the items of published versions (publishedItems).
	published *memo.Memo[uuid.UUID, []ItemSummary]
}

// NewService returns the course service. files may be nil until file storage
// is wired; media URLs are then unavailable.
func NewService(db *database.DB, orgs OrgPaths, auditor Auditor, files Files) *Service {
	return &Service{db: db, store: store{db: db}, orgs: orgs, audit: auditor, files: files,
		now: func() time.Time { return time.Now().UTC() }, published: memo.New[uuid.UUID, []ItemSummary](10_000)}
}

// SetAccess plugs in the delivery package's enrolment check, which lets
// learners read the content of the versions they learn in. Without it only a
// course's staff download media. Call it before serving.
func (s *Service) SetAccess(a Access) { s.access = a }

// SetItemCopier plugs in the copy of what other domains keep by an item
// (the quiz service's quizzes) into new drafts. Call it before serving.
func (s *Service) SetItemCopier(c ItemCopier) { s.itemCopier = c }

// --- who may do what ---

// courseScope is a course as one caller meets it: the course, where it lives
// in the organisation tree now, and the caller.
type courseScope struct {
	actor  *authz.Actor
	course Course
	path   string
}

func (sc courseScope) can(p authz.Permission) bool { return sc.actor.Can(p, sc.path) }

// staff reports whether the caller reads the course beyond the catalogue:
// drafts, reviews, every version.
func (sc courseScope) staff() bool { return sc.can(authz.CourseRead) }

// shared reports whether the course's sharing reaches the caller's home
// organisation: shared nationally, owned by an organisation above it, or
// shared with one. A home path lists every ancestor, so "inside the subtree
// of X" is "the path holds /X/".
func (sc courseScope) shared() bool {
	return reaches(sc.actor, sc.course.Sharing, sc.path, sc.course.SharedOrgIDs)
}

func reaches(actor *authz.Actor, sharing Sharing, ownerPath string, sharedWith []uuid.UUID) bool {
	return sharedTo(actor.HomeOrgPath, sharing, ownerPath, sharedWith)
}

// sharedTo is the sharing rule of courses and paths: the organisation at
// orgPath may use a thing owned at ownerPath when it is shared nationally,
// when the organisation lies in the owner's subtree, or when it is shared
// with a list that names the organisation or one above it.
func sharedTo(orgPath string, sharing Sharing, ownerPath string, sharedWith []uuid.UUID) bool {
	return authz.SharedTo(orgPath, string(sharing), ownerPath, sharedWith)
}

// inCatalogue reports whether the caller finds the course in the catalogue.
func (sc courseScope) inCatalogue() bool {
	return sc.course.PublishedVersionID != nil && sc.course.ArchivedAt == nil && sc.shared()
}

// seesVersion reports whether the caller sees a version without asking the
// delivery package: staff see every version, others the published ones of a
// course in their catalogue.
func (sc courseScope) seesVersion(v Version) bool {
	return sc.staff() || (v.Status.WasPublished() && sc.inCatalogue())
}

// authorize returns the first of perms the caller holds on the course. One
// who holds none gets ErrForbidden when they may see the thing (visible), and
// notFound when they may not, so ids cannot be probed.
func authorize(sc courseScope, visible bool, notFound error, perms ...authz.Permission) (authz.Permission, error) {
	for _, p := range perms {
		if sc.can(p) {
			return p, nil
		}
	}
	return "", authz.Decide(visible || sc.staff(), false, notFound)
}

// scope loads a course for the caller; forUpdate locks its row.
func (s *Service) scope(ctx context.Context, courseID uuid.UUID, forUpdate bool) (courseScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return courseScope{}, err
	}
	row, err := s.store.course(ctx, courseID, forUpdate)
	if err != nil {
		return courseScope{}, err
	}
	shares, err := s.store.shares(ctx, courseID)
	if err != nil {
		return courseScope{}, err
	}
	path, err := s.orgs.OrgPath(ctx, row.OrgID)
	if err != nil {
		return courseScope{}, fmt.Errorf("resolve course organisation: %w", err)
	}
	return courseScope{actor: actor, course: row.toCourse(shares[courseID]), path: path}, nil
}

// learns asks the delivery package whether the caller learns in a published version.
func (s *Service) learns(ctx context.Context, actor *authz.Actor, v Version) (bool, error) {
	if s.access == nil || !v.Status.WasPublished() || !actor.MaySelf(authz.SelfLearn) {
		return false, nil
	}
	return s.access.CanLearn(ctx, actor.UserID, v.ID)
}

func (sc courseScope) change(action, entityType string, id uuid.UUID, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: entityType, EntityID: id.String(),
		OrgID: sc.course.OrgID, OrgPath: sc.path, Before: before, After: after}
}

// orgPathFor resolves an organisation named in a request; one that does not
// exist is a problem with the field.
func (s *Service) orgPathFor(ctx context.Context, field string, id uuid.UUID) (string, error) {
	path, err := s.orgs.OrgPath(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return "", apperr.Invalid(field, "organisasi tidak ditemukan", "organisation not found")
	}
	return path, err
}

func (s *Service) checkOrgs(ctx context.Context, field string, ids []uuid.UUID) error {
	for i, id := range ids {
		if _, err := s.orgPathFor(ctx, fmt.Sprintf("%s[%d]", field, i), id); err != nil {
			return err
		}
	}
	return nil
}

// ancestorIDs reads the ids on an organisation path, the organisation itself included.
func ancestorIDs(path string) []uuid.UUID {
	var out []uuid.UUID
	for _, part := range strings.Split(path, "/") {
		if id, err := uuid.Parse(part); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// staffOrgs returns the organisations inside the subtrees where the caller
// holds perm, for lists of courses and paths their staff work on.
func (s *Service) staffOrgs(ctx context.Context, actor *authz.Actor, perm authz.Permission) ([]uuid.UUID, error) {
	roots, all := actor.Roots(perm)
	if all || len(roots) == 0 {
		return nil, nil
	}
	return s.orgs.OrgsUnder(ctx, roots)
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// checkFile checks a file a draft starts to refer to (an item's video or
// document, a cover image): it must be a completed upload of the purpose,
// and the caller must have uploaded it or hold media.upload where it lives.
// Anyone else's file is reported as not found, so ids cannot be probed and
// nobody republishes another organisation's files or a learner's submission.
func (s *Service) checkFile(ctx context.Context, actor *authz.Actor, field string, purpose upload.Purpose, id uuid.UUID) error {
	if s.files == nil {
		return ErrMediaUnavailable.WithRetryAfter(60)
	}
	notFound := apperr.Invalid(field, "berkas tidak ditemukan", "file not found")
	f, err := s.files.File(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return notFound
	}
	if err != nil {
		return err
	}
	if f.OwnerID != actor.UserID {
		path, err := s.orgs.OrgPath(ctx, f.OrgID)
		if apperr.KindOf(err) == apperr.KindNotFound {
			return notFound
		}
		if err != nil {
			return fmt.Errorf("resolve file organisation: %w", err)
		}
		if !actor.Can(authz.MediaUpload, path) {
			return notFound
		}
	}
	if f.Purpose != purpose {
		return apperr.Invalid(field, "berkas harus diunggah untuk "+string(purpose), "the file must be uploaded for "+string(purpose))
	}
	return nil
}

// changed reports whether a file reference now names a file it did not before.
func changed(before, after *uuid.UUID) bool {
	return after != nil && (before == nil || *before != *after)
}

// checkCover checks a version's cover image when it changes.
func (s *Service) checkCover(ctx context.Context, actor *authz.Actor, before, after *uuid.UUID) error {
	if !changed(before, after) {
		return nil
	}
	return s.checkFile(ctx, actor, "cover_file_id", upload.PurposeCourseImage, *after)
}

// checkMedia checks an item's file when it changes.
func (s *Service) checkMedia(ctx context.Context, actor *authz.Actor, before *uuid.UUID, it Item) error {
	if !changed(before, it.FileID) {
		return nil
	}
	purpose := upload.PurposeCourseDocument
	if it.Kind == KindVideo {
		purpose = upload.PurposeCourseVideo
	}
	return s.checkFile(ctx, actor, "file_id", purpose, *it.FileID)
}

// checkList refuses what a list cannot run: a limit outside 1..page.MaxLimit,
// a search that is not text, and a cursor no list of ours made (an id that
// is not a uuid, a key that is not text), which the database would reject.
func checkList(req page.Request, query string) error {
	var v apperr.Validation
	v.Check(req.Limit > 0 && req.Limit <= page.MaxLimit, "limit", "harus antara 1 dan 200", "must be between 1 and 200")
	v.Check(utf8.RuneCountInString(query) <= 200, "q", "paling banyak 200 karakter", "at most 200 characters")
	checkText(&v, "q", query)
	v.Check(database.CheckCursor(req, database.KeyText) == nil, "cursor", "kursor tidak valid", "invalid cursor")
	return v.Err()
}

// --- courses ---

// CreateCourse creates a course in an organisation where the caller authors
// courses, with its first draft.
func (s *Service) CreateCourse(ctx context.Context, in NewCourse) (Course, error) {
	in.Code = strings.TrimSpace(in.Code)
	if in.Sharing == "" {
		in.Sharing = SharingPrivate
	}
	var v apperr.Validation
	v.Check(in.OrgID != uuid.Nil, "org_id", "wajib diisi", "is required")
	checkCode(&v, in.Code)
	checkSharing(&v, in.Sharing, in.SharedOrgIDs)
	now := s.now()
	draft := Version{ID: newID(), Number: 1, Status: StatusDraft, Language: LanguageIndonesian, DeliveryMode: ModeOnline,
		Level: LevelBasic, LockVersion: 1, CreatedAt: now, UpdatedAt: now}
	in.Version.apply(&draft)
	if err := draft.normalize(); err != nil {
		for _, f := range apperr.As(err).Fields {
			v.Add(f.Field, f.Message.ID, f.Message.EN)
		}
	}
	if err := v.Err(); err != nil {
		return Course{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Course{}, err
	}
	path, err := s.orgPathFor(ctx, "org_id", in.OrgID)
	if err != nil {
		return Course{}, err
	}
	if err := authz.Decide(actor.Can(authz.CourseRead, path), actor.Can(authz.CourseAuthor, path),
		apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")); err != nil {
		return Course{}, err
	}
	if err := s.checkOrgs(ctx, "shared_org_ids", in.SharedOrgIDs); err != nil {
		return Course{}, err
	}
	if err := s.checkCover(ctx, actor, nil, draft.CoverFileID); err != nil {
		return Course{}, err
	}
	c := Course{ID: newID(), OrgID: in.OrgID, Code: in.Code, Sharing: in.Sharing, SharedOrgIDs: nonNil(in.SharedOrgIDs),
		CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	draft.CourseID, draft.CreatedBy = c.ID, actor.UserID
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createCourse(ctx, courseRow{ID: c.ID, OrgID: c.OrgID, Code: c.Code, Sharing: string(c.Sharing),
			CreatedBy: c.CreatedBy, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := s.store.setShares(ctx, c.ID, c.SharedOrgIDs); err != nil {
			return err
		}
		if err := s.store.createVersion(ctx, draft); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, audit.Change{Action: "course.create", EntityType: "course",
			EntityID: c.ID.String(), OrgID: c.OrgID, OrgPath: path, After: map[string]any{"course": c, "version": draft}})
	})
	if err != nil {
		return Course{}, err
	}
	c.Open = &draft
	return c, nil
}

// Course returns a course the caller may see: its staff see it with its open
// draft; others find it in the catalogue, with its published version.
func (s *Service) Course(ctx context.Context, id uuid.UUID) (Course, error) {
	sc, err := s.scope(ctx, id, false)
	if err != nil {
		return Course{}, err
	}
	if !sc.staff() && !sc.inCatalogue() {
		return Course{}, ErrCourseNotFound
	}
	courses, err := s.withVersions(ctx, []Course{sc.course}, sc.staff())
	if err != nil {
		return Course{}, err
	}
	return courses[0], nil
}

// withVersions fills the published version, and for staff the open draft, of courses.
func (s *Service) withVersions(ctx context.Context, courses []Course, staff bool) ([]Course, error) {
	ids := make([]uuid.UUID, len(courses))
	for i, c := range courses {
		ids[i] = c.ID
	}
	versions, err := s.store.currentVersions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range courses {
		for _, v := range versions {
			if v.CourseID != courses[i].ID {
				continue
			}
			v := v
			switch {
			case courses[i].PublishedVersionID != nil && v.ID == *courses[i].PublishedVersionID:
				courses[i].Published = &v
			case staff && v.Status.Open():
				courses[i].Open = &v
			}
		}
	}
	return courses, nil
}

// Courses lists the courses of the organisations where the caller reads
// courses (every course for a platform admin), or of one of them.
func (s *Service) Courses(ctx context.Context, f CourseFilter, req page.Request) (page.Result[Course], error) {
	if err := checkList(req, f.Query); err != nil {
		return page.Result[Course]{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Course]{}, err
	}
	_, all := actor.Roots(authz.CourseRead)
	orgs, err := s.staffOrgs(ctx, actor, authz.CourseRead)
	if err != nil {
		return page.Result[Course]{}, err
	}
	if f.OrgID != uuid.Nil {
		path, err := s.orgPathFor(ctx, "org_id", f.OrgID)
		if err != nil {
			return page.Result[Course]{}, err
		}
		if !actor.Can(authz.CourseRead, path) {
			return page.Result[Course]{}, apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
		}
		all = true // authorized for this organisation, which the filter keeps
	}
	if !all && len(orgs) == 0 {
		return page.Result[Course]{}, authz.ErrForbidden
	}
	rows, err := s.store.listCourses(ctx, orgs, all, f, req)
	if err != nil {
		return page.Result[Course]{}, err
	}
	res := page.Build(rows, req.Limit, func(r courseRow) page.Position {
		return page.Position{Key: r.Code, ID: r.ID.String()}
	})
	ids := make([]uuid.UUID, len(res.Items))
	for i, r := range res.Items {
		ids[i] = r.ID
	}
	shares, err := s.store.shares(ctx, ids...)
	if err != nil {
		return page.Result[Course]{}, err
	}
	courses := make([]Course, len(res.Items))
	for i, r := range res.Items {
		courses[i] = r.toCourse(nonNil(shares[r.ID]))
	}
	if courses, err = s.withVersions(ctx, courses, true); err != nil {
		return page.Result[Course]{}, err
	}
	return page.Result[Course]{Items: courses, NextCursor: res.NextCursor}, nil
}

// UpdateCourse changes a course's code or sharing. Authors and reviewers of
// the owning organisation may; the catalogue follows at once.
func (s *Service) UpdateCourse(ctx context.Context, id uuid.UUID, p CoursePatch) (Course, error) {
	var out Course
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.scope(ctx, id, true)
		if err != nil {
			return err
		}
		perm, err := authorize(sc, sc.inCatalogue(), ErrCourseNotFound, authz.CourseAuthor, authz.CourseReview)
		if err != nil {
			return err
		}
		if sc.course.ArchivedAt != nil {
			return ErrCourseArchived
		}
		before := sc.course
		after := before
		if p.Code != nil {
			after.Code = strings.TrimSpace(*p.Code)
		}
		if p.Sharing != nil {
			after.Sharing = *p.Sharing
		}
		switch {
		case p.SharedOrgIDs != nil:
			after.SharedOrgIDs = nonNil(*p.SharedOrgIDs)
		case after.Sharing != SharingListed:
			after.SharedOrgIDs = []uuid.UUID{}
		}
		var v apperr.Validation
		checkCode(&v, after.Code)
		checkSharing(&v, after.Sharing, after.SharedOrgIDs)
		if err := v.Err(); err != nil {
			return err
		}
		if err := s.checkOrgs(ctx, "shared_org_ids", after.SharedOrgIDs); err != nil {
			return err
		}
		if err := s.store.updateCourse(ctx, id, map[string]any{"code": after.Code, "sharing": string(after.Sharing)}); err != nil {
			return err
		}
		if err := s.store.setShares(ctx, id, after.SharedOrgIDs); err != nil {
			return err
		}
		if err := s.store.refreshCatalogue(ctx, id); err != nil {
			return err
		}
		after.UpdatedAt = s.now()
		out = after
		return s.audit.Record(ctx, perm, sc.change("course.update", "course", id, before, after))
	})
	if err != nil {
		return Course{}, err
	}
	return s.Course(ctx, out.ID)
}

// ArchiveCourse takes a course out of the catalogue and closes it to new
// classes and drafts; classes that pinned one of its versions keep it.
// Reviewers of the owning organisation archive. Archiving twice changes nothing.
func (s *Service) ArchiveCourse(ctx context.Context, id uuid.UUID) (Course, error) {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.scope(ctx, id, true)
		if err != nil {
			return err
		}
		if _, err := authorize(sc, sc.inCatalogue(), ErrCourseNotFound, authz.CourseReview); err != nil {
			return err
		}
		if sc.course.ArchivedAt != nil {
			return nil
		}
		actor, now := sc.actor, s.now()
		if err := s.store.updateCourse(ctx, id, map[string]any{"archived_at": now, "archived_by": actor.UserID}); err != nil {
			return err
		}
		if err := s.store.refreshCatalogue(ctx, id); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseReview, sc.change("course.archive", "course", id,
			map[string]any{"archived_at": nil}, map[string]any{"archived_at": now, "archived_by": actor.UserID}))
	})
	if err != nil {
		return Course{}, err
	}
	return s.Course(ctx, id)
}
