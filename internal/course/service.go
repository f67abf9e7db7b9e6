package course

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
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
}

// NewService returns the course service. files may be nil until file storage
// is wired; media URLs are then unavailable.
func NewService(db *database.DB, orgs OrgPaths, auditor Auditor, files Files) *Service {
	return &Service{db: db, store: store{db: db}, orgs: orgs, audit: auditor, files: files,
		now: func() time.Time { return time.Now().UTC() }}
}

// SetAccess plugs in the delivery package's enrolment check, which lets
// learners read the content of the versions they learn in. Without it only a
// course's staff download media. Call it before serving.
func (s *Service) SetAccess(a Access) { s.access = a }

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
	switch {
	case sharing == SharingNational, authz.Inside(orgPath, ownerPath):
		return true
	case sharing == SharingListed:
		for _, id := range sharedWith {
			if strings.Contains(orgPath, "/"+id.String()+"/") {
				return true
			}
		}
	}
	return false
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

// --- versions ---

// Versions lists a course's versions, newest first: every one for its
// staff, the published ones for others who find it in the catalogue.
func (s *Service) Versions(ctx context.Context, courseID uuid.UUID) ([]Version, error) {
	sc, err := s.scope(ctx, courseID, false)
	if err != nil {
		return nil, err
	}
	if !sc.staff() && !sc.inCatalogue() {
		return nil, ErrCourseNotFound
	}
	versions, err := s.store.versions(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if !sc.staff() {
		versions = slices.DeleteFunc(versions, func(v Version) bool { return !v.Status.WasPublished() })
	}
	return versions, nil
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
		if err := s.store.copyCurriculum(ctx, published.ID, draft.ID); err != nil {
			return err
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

// --- curriculum ---

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

// --- review ---

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

// --- media ---

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

// --- catalogue ---

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

// --- for the delivery package ---

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
	mods, err := s.store.curriculum(ctx, v.ID)
	if err != nil {
		return VersionSummary{}, err
	}
	status := string(v.Status)
	if course.ArchivedAt != nil {
		status = string(StatusArchived)
	}
	sum := VersionSummary{VersionID: v.ID, CourseID: v.CourseID, OrgID: course.OrgID, Title: v.Title, JPCredit: v.JPCredit,
		DeliveryMode: string(v.DeliveryMode), Status: status, Items: []ItemSummary{}}
	for _, m := range mods {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				sum.Items = append(sum.Items, ItemSummary{ID: it.ID, Kind: string(it.Kind), Required: it.Required,
					ReleaseAt: it.ReleaseAt, ReleaseAfterItemID: it.ReleaseAfterItemID, EstimatedMinutes: it.EstimatedMinutes})
			}
		}
	}
	return sum, nil
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

// --- learning paths ---

// pathScope is a learning path as one caller meets it.
type pathScope struct {
	actor *authz.Actor
	path  LearningPath
	org   string // the owning organisation's path
}

func (ps pathScope) manages() bool { return ps.actor.Can(authz.PathManage, ps.org) }

func (ps pathScope) visible() bool {
	return ps.manages() || (ps.path.ArchivedAt == nil && reaches(ps.actor, ps.path.Sharing, ps.org, ps.path.SharedOrgIDs))
}

func (ps pathScope) change(action string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "learning_path", EntityID: ps.path.ID.String(),
		OrgID: ps.path.OrgID, OrgPath: ps.org, Before: before, After: after}
}

func (s *Service) pathScope(ctx context.Context, id uuid.UUID, forUpdate bool) (pathScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return pathScope{}, err
	}
	row, err := s.store.path(ctx, id, forUpdate)
	if err != nil {
		return pathScope{}, err
	}
	p := row.toPath()
	shares, err := s.store.pathShares(ctx, id)
	if err != nil {
		return pathScope{}, err
	}
	steps, err := s.store.pathSteps(ctx, id)
	if err != nil {
		return pathScope{}, err
	}
	p.SharedOrgIDs, p.Steps = nonNil(shares[id]), nonNil(steps[id])
	org, err := s.orgs.OrgPath(ctx, p.OrgID)
	if err != nil {
		return pathScope{}, fmt.Errorf("resolve path organisation: %w", err)
	}
	return pathScope{actor: actor, path: p, org: org}, nil
}

// checkSteps checks that every course of a path is published, not archived
// and visible to the caller. It reads the courses and their shares in one
// query each and resolves each owning organisation once.
func (s *Service) checkSteps(ctx context.Context, steps []StepInput) error {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	ids := make([]uuid.UUID, len(steps))
	for i, st := range steps {
		ids[i] = st.CourseID
	}
	rows, err := s.store.courses(ctx, ids)
	if err != nil {
		return err
	}
	shares, err := s.store.shares(ctx, ids...)
	if err != nil {
		return err
	}
	paths := map[uuid.UUID]string{}
	for i, st := range steps {
		notFound := apperr.Invalid(fmt.Sprintf("steps[%d].course_id", i), "kursus terbit tidak ditemukan", "no published course with this id")
		row, ok := rows[st.CourseID]
		if !ok {
			return notFound
		}
		path, ok := paths[row.OrgID]
		if !ok {
			if path, err = s.orgs.OrgPath(ctx, row.OrgID); err != nil {
				return fmt.Errorf("resolve course organisation: %w", err)
			}
			paths[row.OrgID] = path
		}
		sc := courseScope{actor: actor, course: row.toCourse(shares[row.ID]), path: path}
		live := sc.course.PublishedVersionID != nil && sc.course.ArchivedAt == nil
		if !live || !(sc.staff() || sc.shared()) {
			return notFound
		}
	}
	return nil
}

// CreatePath creates a learning path in an organisation where the caller
// manages paths, of published courses they may see.
func (s *Service) CreatePath(ctx context.Context, in PathInput) (LearningPath, error) {
	now := s.now()
	p := LearningPath{ID: newID(), OrgID: in.OrgID, Code: in.Code, Title: in.Title, Description: in.Description,
		Sharing: in.Sharing, SharedOrgIDs: nonNil(in.SharedOrgIDs), CreatedAt: now, UpdatedAt: now}
	if p.Sharing == "" {
		p.Sharing = SharingPrivate
	}
	for i, st := range in.Steps {
		p.Steps = append(p.Steps, PathStep{CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs)})
	}
	if err := p.validate(); err != nil {
		return LearningPath{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return LearningPath{}, err
	}
	org, err := s.orgPathFor(ctx, "org_id", in.OrgID)
	if err != nil {
		return LearningPath{}, err
	}
	if !actor.Can(authz.PathManage, org) {
		return LearningPath{}, apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
	}
	if err := s.checkOrgs(ctx, "shared_org_ids", p.SharedOrgIDs); err != nil {
		return LearningPath{}, err
	}
	if err := s.checkSteps(ctx, in.Steps); err != nil {
		return LearningPath{}, err
	}
	p.CreatedBy = actor.UserID
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createPath(ctx, pathRow{ID: p.ID, OrgID: p.OrgID, Code: p.Code, Title: p.Title,
			Description: p.Description, Sharing: string(p.Sharing), CreatedBy: p.CreatedBy, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		if err := s.store.setPathShares(ctx, p.ID, p.SharedOrgIDs); err != nil {
			return err
		}
		if err := s.store.setPathSteps(ctx, p.ID, in.Steps); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, audit.Change{Action: "learning_path.create", EntityType: "learning_path",
			EntityID: p.ID.String(), OrgID: p.OrgID, OrgPath: org, After: p})
	})
	if err != nil {
		return LearningPath{}, err
	}
	return s.Path(ctx, p.ID)
}

// Path returns a learning path the caller may see.
func (s *Service) Path(ctx context.Context, id uuid.UUID) (LearningPath, error) {
	ps, err := s.pathScope(ctx, id, false)
	if err != nil {
		return LearningPath{}, err
	}
	if !ps.visible() {
		return LearningPath{}, ErrPathNotFound
	}
	return ps.path, nil
}

// Paths lists the active learning paths the caller may see, by title.
func (s *Service) Paths(ctx context.Context, orgID uuid.UUID, query string, req page.Request) (page.Result[LearningPath], error) {
	if err := checkList(req, query); err != nil {
		return page.Result[LearningPath]{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	_, all := actor.Roots(authz.PathManage)
	staff, err := s.staffOrgs(ctx, actor, authz.PathManage)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	rows, err := s.store.listPaths(ctx, all, ancestorIDs(actor.HomeOrgPath), staff, orgID, query, req)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	res := page.Build(rows, req.Limit, func(r pathRow) page.Position {
		return page.Position{Key: r.SortKey, ID: r.ID.String()}
	})
	ids := make([]uuid.UUID, len(res.Items))
	for i, r := range res.Items {
		ids[i] = r.ID
	}
	shares, err := s.store.pathShares(ctx, ids...)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	steps, err := s.store.pathSteps(ctx, ids...)
	if err != nil {
		return page.Result[LearningPath]{}, err
	}
	out := make([]LearningPath, len(res.Items))
	for i, r := range res.Items {
		out[i] = r.toPath()
		out[i].SharedOrgIDs, out[i].Steps = nonNil(shares[r.ID]), nonNil(steps[r.ID])
	}
	return page.Result[LearningPath]{Items: out, NextCursor: res.NextCursor}, nil
}

// UpdatePath changes a learning path the caller manages; steps, when sent,
// replace every step.
func (s *Service) UpdatePath(ctx context.Context, id uuid.UUID, p PathPatch) (LearningPath, error) {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		ps, err := s.pathScope(ctx, id, true)
		if err != nil {
			return err
		}
		if ps.path.ArchivedAt != nil {
			return ErrPathNotFound
		}
		if err := authz.Decide(ps.visible(), ps.manages(), ErrPathNotFound); err != nil {
			return err
		}
		before := ps.path
		after := before
		setIf(&after.Code, p.Code)
		setIf(&after.Title, p.Title)
		setIf(&after.Description, p.Description)
		setIf(&after.Sharing, p.Sharing)
		switch {
		case p.SharedOrgIDs != nil:
			after.SharedOrgIDs = nonNil(*p.SharedOrgIDs)
		case after.Sharing != SharingListed:
			after.SharedOrgIDs = []uuid.UUID{}
		}
		steps := make([]StepInput, len(before.Steps))
		for i, st := range before.Steps {
			steps[i] = StepInput{CourseID: st.CourseID, PrerequisiteCourseIDs: st.PrerequisiteCourseIDs}
		}
		if p.Steps != nil {
			steps = *p.Steps
			after.Steps = nil
			for i, st := range steps {
				after.Steps = append(after.Steps, PathStep{CourseID: st.CourseID, Position: i + 1, PrerequisiteCourseIDs: nonNil(st.PrerequisiteCourseIDs)})
			}
		}
		if err := after.validate(); err != nil {
			return err
		}
		if err := s.checkOrgs(ctx, "shared_org_ids", after.SharedOrgIDs); err != nil {
			return err
		}
		if p.Steps != nil {
			if err := s.checkSteps(ctx, steps); err != nil {
				return err
			}
			if err := s.store.setPathSteps(ctx, id, steps); err != nil {
				return err
			}
		}
		if err := s.store.updatePath(ctx, id, map[string]any{"code": after.Code, "title": after.Title,
			"description": after.Description, "sharing": string(after.Sharing)}); err != nil {
			return err
		}
		if err := s.store.setPathShares(ctx, id, after.SharedOrgIDs); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, ps.change("learning_path.update", before, after))
	})
	if err != nil {
		return LearningPath{}, err
	}
	return s.Path(ctx, id)
}

// DeletePath archives a learning path the caller manages: it leaves every
// list, and the delivery package still reads the steps of those who follow it.
func (s *Service) DeletePath(ctx context.Context, id uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		ps, err := s.pathScope(ctx, id, true)
		if err != nil {
			return err
		}
		if ps.path.ArchivedAt != nil {
			return ErrPathNotFound
		}
		if err := authz.Decide(ps.visible(), ps.manages(), ErrPathNotFound); err != nil {
			return err
		}
		now := s.now()
		if err := s.store.updatePath(ctx, id, map[string]any{"archived_at": now}); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.PathManage, ps.change("learning_path.delete", ps.path, nil))
	})
}

// PathCourses returns a learning path's steps in order, without authorizing,
// for the delivery package.
func (s *Service) PathCourses(ctx context.Context, pathID uuid.UUID) ([]PathStep, error) {
	if _, err := s.store.path(ctx, pathID, false); err != nil {
		return nil, err
	}
	steps, err := s.store.pathSteps(ctx, pathID)
	if err != nil {
		return nil, err
	}
	return nonNil(steps[pathID]), nil
}
