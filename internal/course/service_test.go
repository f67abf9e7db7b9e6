package course

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

func TestACourseGoesFromDraftThroughReviewToPublicationAndOnToANewVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	author, reviewer := f.as("authorA"), f.as("reviewerA")

	c, err := f.svc.CreateCourse(author, NewCourse{OrgID: f.org["A"], Code: "LD-101", Sharing: SharingNational,
		Version: VersionPatch{Title: ptr("Literasi Digital untuk ASN"), Objectives: &[]string{"Memahami keamanan data"},
			CompetencyTags: &[]string{"Literasi-Digital", "literasi-digital "}, JPCredit: Some(12.5), Level: ptr(LevelBasic)}})
	if err != nil {
		t.Fatalf("CreateCourse = %v", err)
	}
	if c.Open == nil || c.Open.Status != StatusDraft || c.Open.Number != 1 || !slices.Equal(c.Open.CompetencyTags, []string{"literasi-digital"}) {
		t.Fatalf("CreateCourse open version = %+v, want draft 1 with normalised tags", c.Open)
	}
	v1 := c.Open.ID
	m, err := f.svc.AddModule(author, v1, ModuleInput{Title: ptr("Dasar")})
	if err != nil {
		t.Fatalf("AddModule = %v", err)
	}
	l, err := f.svc.AddLesson(author, m.ID, ModuleInput{Title: ptr("Keamanan informasi")})
	if err != nil {
		t.Fatalf("AddLesson = %v", err)
	}
	reading, err := f.svc.AddItem(author, l.ID, ItemInput{Kind: KindText, Title: ptr("Bacaan"), Body: ptr("<p>Jaga kata sandi</p>")})
	if err != nil {
		t.Fatalf("AddItem(text) = %v", err)
	}
	quiz, err := f.svc.AddItem(author, l.ID, ItemInput{Kind: KindQuiz, Title: ptr("Kuis"),
		ReleaseAfterItemID: Some(reading.ID), EstimatedMinutes: ptr(15)})
	if err != nil {
		t.Fatalf("AddItem(quiz) = %v", err)
	}

	if _, _, err := f.svc.Submit(author, v1); err != nil {
		t.Fatalf("Submit = %v", err)
	}
	if _, _, err := f.svc.Review(reviewer, v1, ReviewInput{Decision: DecisionRequestChanges, Comments: "Tambahkan asesmen akhir."}); err != nil {
		t.Fatalf("Review(request_changes) = %v", err)
	}
	if v, err := f.svc.UpdateVersion(author, v1, VersionPatch{Summary: ptr("Dengan asesmen akhir")}, 0); err != nil || v.Status != StatusChangesRequested {
		t.Fatalf("UpdateVersion after changes requested = %v, %v; want it editable", v.Status, err)
	}
	if _, _, err := f.svc.Submit(author, v1); err != nil {
		t.Fatalf("Submit again = %v", err)
	}
	_, published, err := f.svc.Review(reviewer, v1, ReviewInput{Decision: DecisionApprove, Checklist: allChecked, Comments: "Baik."})
	if err != nil {
		t.Fatalf("Review(approve) = %v", err)
	}
	if published.Status != StatusPublished || published.PublishedAt == nil || published.PublishedBy == nil {
		t.Fatalf("approved version = %+v, want published with time and reviewer", published)
	}
	res, err := f.svc.Reviews(reviewer, v1, page.Request{Limit: 50})
	reviews := res.Items
	if err != nil || len(reviews) != 2 || reviews[0].Decision != DecisionRequestChanges || reviews[1].Checklist != allChecked {
		t.Fatalf("Reviews = %+v, %v; want the request for changes, then the approval with its checklist", reviews, err)
	}
	if hits := catalogueTitles(t, f, "learnerB1", CatalogueFilter{}); !slices.Equal(hits, []string{"Literasi Digital untuk ASN"}) {
		t.Errorf("catalogue after publication = %v, want the course", hits)
	}

	// A new draft copies the curriculum under new ids, release rules included.
	v2, err := f.svc.NewDraft(author, c.ID)
	if err != nil {
		t.Fatalf("NewDraft = %v", err)
	}
	if v2.Number != 2 || v2.Status != StatusDraft || len(v2.Modules) != 1 || len(v2.Modules[0].Lessons[0].Items) != 2 {
		t.Fatalf("NewDraft = number %d, status %s, %d modules; want draft 2 with the copied curriculum", v2.Number, v2.Status, len(v2.Modules))
	}
	copied := v2.Modules[0].Lessons[0].Items
	if copied[0].ID == reading.ID || copied[1].ReleaseAfterItemID == nil || *copied[1].ReleaseAfterItemID != copied[0].ID {
		t.Errorf("copied items = %+v, want new ids with the quiz waiting for the copied reading", copied)
	}
	if _, err := f.svc.NewDraft(author, c.ID); !errors.Is(err, ErrDraftExists) {
		t.Errorf("NewDraft with an open draft = %v, want ErrDraftExists", err)
	}
	assertVersionPages(t, f.svc, author, c.ID, []int{2, 1})
	assertVersionPages(t, f.svc, f.as("learnerA1"), c.ID, []int{1}) // outside the staff: what was published
	if _, err := f.svc.UpdateVersion(author, v2.ID, VersionPatch{Title: ptr("Literasi Digital ASN, edisi 2")}, 0); err != nil {
		t.Fatalf("UpdateVersion(v2) = %v", err)
	}
	f.submitAndApprove("A", v2.ID)

	old, err := f.svc.PublishedVersion(context.Background(), v1)
	if err != nil || old.Status != string(StatusArchived) || len(old.Items) != 2 || old.Items[1].ID != quiz.ID || old.JPCredit != 12.5 {
		t.Errorf("PublishedVersion(v1) = %+v, %v; want it archived for new classes, still readable with its items", old, err)
	}
	current, err := f.svc.PublishedVersion(context.Background(), v2.ID)
	if err != nil || current.Status != string(StatusPublished) || current.OrgID != f.org["A"] {
		t.Errorf("PublishedVersion(v2) = %+v, %v; want the published version", current, err)
	}
	if hits := catalogueTitles(t, f, "learnerB1", CatalogueFilter{}); !slices.Equal(hits, []string{"Literasi Digital ASN, edisi 2"}) {
		t.Errorf("catalogue after version 2 = %v, want only the new title", hits)
	}
	if got, err := f.svc.CourseOf(context.Background(), v1); err != nil || got.ID != c.ID {
		t.Errorf("CourseOf(v1) = %v, %v; want course %s", got.ID, err, c.ID)
	}

	if _, err := f.svc.ArchiveCourse(reviewer, c.ID); err != nil {
		t.Fatalf("ArchiveCourse = %v", err)
	}
	if hits := catalogueTitles(t, f, "learnerB1", CatalogueFilter{}); len(hits) != 0 {
		t.Errorf("catalogue after archiving = %v, want nothing", hits)
	}
	if _, err := f.svc.NewDraft(author, c.ID); !errors.Is(err, ErrCourseArchived) {
		t.Errorf("NewDraft of an archived course = %v, want ErrCourseArchived", err)
	}
	if s, err := f.svc.PublishedVersion(context.Background(), v2.ID); err != nil || s.Status != string(StatusArchived) {
		t.Errorf("PublishedVersion(v2) of an archived course = %q, %v; want archived", s.Status, err)
	}
	for _, want := range [][2]any{{c.ID, "course.create"}, {c.ID, "course.archive"}, {v1, "course_version.submit"},
		{v1, "course_version.review"}, {v1, "course_version.publish"}, {v2.ID, "course_version.create"}, {v2.ID, "course_version.update"}} {
		if !slices.Contains(f.auditActions(want[0].(uuid.UUID)), want[1].(string)) {
			t.Errorf("audit log of %v = %v, want %s", want[0], f.auditActions(want[0].(uuid.UUID)), want[1])
		}
	}
}

func TestEditingAPublishedVersionIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.publishedCourse(courseSpec{code: "PV-1", title: "Pelayanan Publik Digital"})
	author := f.as("authorA")
	before, err := f.svc.Version(author, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, l, it := before.Modules[0], before.Modules[0].Lessons[0], before.Modules[0].Lessons[0].Items[0]
	auditBefore := f.count("SELECT count(*) FROM audit_log")

	tests := []struct {
		name string
		edit func() error
	}{
		{"changing its title", func() error {
			_, err := f.svc.UpdateVersion(author, v.ID, VersionPatch{Title: ptr("Baru")}, 0)
			return err
		}},
		{"adding a module", func() error { _, err := f.svc.AddModule(author, v.ID, ModuleInput{Title: ptr("M2")}); return err }},
		{"renaming a module", func() error { _, err := f.svc.UpdateModule(author, m.ID, ModuleInput{Title: ptr("X")}); return err }},
		{"deleting a module", func() error { return f.svc.DeleteModule(author, m.ID) }},
		{"adding a lesson", func() error { _, err := f.svc.AddLesson(author, m.ID, ModuleInput{Title: ptr("L2")}); return err }},
		{"renaming a lesson", func() error { _, err := f.svc.UpdateLesson(author, l.ID, ModuleInput{Title: ptr("X")}); return err }},
		{"deleting a lesson", func() error { return f.svc.DeleteLesson(author, l.ID) }},
		{"adding an item", func() error {
			_, err := f.svc.AddItem(author, l.ID, ItemInput{Kind: KindText, Title: ptr("T"), Body: ptr("x")})
			return err
		}},
		{"changing an item", func() error { _, err := f.svc.UpdateItem(author, it.ID, ItemInput{Title: ptr("X")}); return err }},
		{"deleting an item", func() error { return f.svc.DeleteItem(author, it.ID) }},
		{"reordering it", func() error { _, err := f.svc.Reorder(author, v.ID, outlineOf(before.Modules), 0); return err }},
		{"submitting it again", func() error { _, _, err := f.svc.Submit(author, v.ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.edit()
			if !errors.Is(err, ErrVersionImmutable) && !errors.Is(err, ErrNotSubmittable) {
				t.Errorf("%s = %v, want a 409 telling to create a new draft", tt.name, err)
			}
		})
	}
	after, err := f.svc.Version(author, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("published version changed:\nbefore %+v\nafter  %+v", before, after)
	}
	if n := f.count("SELECT count(*) FROM audit_log"); n != auditBefore {
		t.Errorf("audit entries = %d, want %d: nothing was written", n, auditBefore)
	}
}

func TestAVersionIsPublishedOnlyThroughACompleteReview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	author, reviewer := f.as("authorA"), f.as("reviewerA")
	empty, err := f.svc.CreateCourse(author, NewCourse{OrgID: f.org["A"], Code: "EMPTY", Version: VersionPatch{Title: ptr("Belum lengkap")}})
	if err != nil {
		t.Fatal(err)
	}
	_, draft := f.draftCourse(courseSpec{code: "READY", title: "Siap ditinjau"})

	tests := []struct {
		name    string
		do      func() error
		want    error
		fields  []string
		version uuid.UUID
	}{
		{"an incomplete draft cannot be submitted", func() error { _, _, err := f.svc.Submit(author, empty.Open.ID); return err },
			ErrVersionIncomplete, []string{"modules", "lessons", "items", "objectives", "jp_credit"}, empty.Open.ID},
		{"a draft cannot be approved without being submitted", func() error {
			_, _, err := f.svc.Review(reviewer, draft.ID, ReviewInput{Decision: DecisionApprove, Checklist: allChecked})
			return err
		}, ErrNotInReview, nil, draft.ID},
		{"changes cannot be requested on a draft", func() error {
			_, _, err := f.svc.Review(reviewer, draft.ID, ReviewInput{Decision: DecisionRequestChanges, Comments: "x"})
			return err
		}, ErrNotInReview, nil, draft.ID},
		{"an unknown decision is refused", func() error {
			_, _, err := f.svc.Review(reviewer, draft.ID, ReviewInput{Decision: "publish", Checklist: allChecked})
			return err
		}, errValidation, []string{"decision"}, draft.ID},
		{"an author cannot review", func() error {
			_, _, err := f.svc.Review(author, draft.ID, ReviewInput{Decision: DecisionApprove, Checklist: allChecked})
			return err
		}, authz.ErrForbidden, nil, draft.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name, tt.do(), tt.want, tt.fields...)
			v, err := f.svc.Version(author, tt.version)
			if err != nil || v.Status != StatusDraft || v.LockVersion != versionLock(t, f, tt.version) {
				t.Errorf("version after refusal = %s, %v; want still a draft", v.Status, err)
			}
			if n := f.count("SELECT count(*) FROM course_reviews WHERE version_id = ?", tt.version); n != 0 {
				t.Errorf("reviews recorded = %d, want 0", n)
			}
		})
	}
}

func versionLock(t testing.TB, f *fixture, id uuid.UUID) int {
	t.Helper()
	return f.count("SELECT lock_version FROM course_versions WHERE id = ?", id)
}

func TestApprovingWithAnUncheckedChecklistItemIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.draftCourse(courseSpec{code: "CHK", title: "Tata Kelola Data"})
	if _, _, err := f.svc.Submit(f.as("authorA"), v.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		checklist Checklist
		field     string
	}{
		{"accessibility not confirmed", Checklist{Objectives: true, Assessment: true, JP: true}, "checklist.accessibility"},
		{"nothing confirmed", Checklist{}, "checklist.objectives"},
		{"JP not confirmed", Checklist{Objectives: true, Assessment: true, Accessibility: true}, "checklist.jp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.Review(f.as("reviewerA"), v.ID, ReviewInput{Decision: DecisionApprove, Checklist: tt.checklist})
			wantErr(t, "Review(approve)", err, ErrChecklistIncomplete, tt.field)
		})
	}
	got, err := f.svc.Version(f.as("reviewerA"), v.ID)
	if err != nil || got.Status != StatusInReview {
		t.Errorf("version after refused approvals = %s, %v; want still in review", got.Status, err)
	}
	if n := f.count("SELECT count(*) FROM course_reviews"); n != 0 {
		t.Errorf("reviews recorded = %d, want 0", n)
	}
}

func TestOnlyReviewersOfTheOwningInstitutePublish(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, private := f.draftCourse(courseSpec{code: "PRIV", title: "Arsitektur SPBE", sharing: SharingPrivate})
	if _, _, err := f.svc.Submit(f.as("authorA"), private.ID); err != nil {
		t.Fatal(err)
	}
	_, national := f.publishedCourse(courseSpec{code: "NAT", title: "Etika Digital", sharing: SharingNational})
	approve := ReviewInput{Decision: DecisionApprove, Checklist: allChecked}

	tests := []struct {
		name    string
		who     string
		version uuid.UUID
		want    error
	}{
		{"a reviewer of another agency who cannot see the draft gets 404", "reviewerB", private.ID, ErrVersionNotFound},
		{"a reviewer of another agency who sees the course in the catalogue gets 403", "reviewerB", national.ID, authz.ErrForbidden},
		{"an instructor of the owning institute gets 403", "authorA", private.ID, authz.ErrForbidden},
		{"a learner of the owning institute gets 404", "learnerA1", private.ID, ErrVersionNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := f.svc.Review(f.as(tt.who), tt.version, approve)
			wantErr(t, "Review", err, tt.want)
		})
	}
	if _, _, err := f.svc.Review(f.as("reviewerA"), private.ID, approve); err != nil {
		t.Errorf("Review by the owning institute's reviewer = %v, want it published", err)
	}
	if _, err := f.svc.ArchiveCourse(f.as("reviewerB"), national.CourseID); !errors.Is(err, authz.ErrForbidden) {
		t.Errorf("ArchiveCourse by another agency's reviewer = %v, want ErrForbidden", err)
	}
}

func TestInstructorsOfAnotherAgencyCannotSeeDrafts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c, v := f.draftCourse(courseSpec{code: "DRAFT", title: "Rahasia Draf", sharing: SharingNational})
	other := f.as("authorB")
	m := mustVersion(t, f, "authorA", v.ID).Modules[0]

	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"reading the course", func() error { _, err := f.svc.Course(other, c.ID); return err }, ErrCourseNotFound},
		{"listing its versions", func() error { _, err := f.svc.Versions(other, c.ID, page.Request{Limit: 10}); return err }, ErrCourseNotFound},
		{"reading the draft", func() error { _, err := f.svc.Version(other, v.ID); return err }, ErrVersionNotFound},
		{"editing the draft", func() error {
			_, err := f.svc.UpdateVersion(other, v.ID, VersionPatch{Title: ptr("x")}, 0)
			return err
		}, ErrVersionNotFound},
		{"adding a lesson", func() error { _, err := f.svc.AddLesson(other, m.ID, ModuleInput{Title: ptr("x")}); return err }, ErrModuleNotFound},
		{"looking for similar courses", func() error { _, err := f.svc.Similar(other, v.ID); return err }, ErrVersionNotFound},
		{"starting a new draft", func() error { _, err := f.svc.NewDraft(other, c.ID); return err }, ErrCourseNotFound},
		{"listing the owner's courses", func() error {
			_, err := f.svc.Courses(other, CourseFilter{OrgID: f.org["A"]}, page.Request{Limit: 10})
			return err
		}, errValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.name, tt.do(), tt.want)
		})
	}
	res, err := f.svc.Courses(other, CourseFilter{}, page.Request{Limit: 10})
	if err != nil || len(res.Items) != 0 {
		t.Errorf("Courses(authorB) = %d courses, %v; want none of agency A", len(res.Items), err)
	}
	mine, err := f.svc.Courses(f.as("authorA"), CourseFilter{}, page.Request{Limit: 10})
	if err != nil || len(mine.Items) != 1 || mine.Items[0].Open == nil || mine.Items[0].Open.Title != "Rahasia Draf" {
		t.Errorf("Courses(authorA) = %+v, %v; want the draft", mine.Items, err)
	}
}

func mustVersion(t testing.TB, f *fixture, who string, id uuid.UUID) Version {
	t.Helper()
	v, err := f.svc.Version(f.as(who), id)
	if err != nil {
		t.Fatalf("Version = %v", err)
	}
	return v
}

func catalogueTitles(t testing.TB, f *fixture, who string, filter CatalogueFilter) []string {
	t.Helper()
	res, err := f.svc.Catalogue(f.as(who), filter, page.Request{Limit: 50, Sort: "title"})
	if err != nil {
		t.Fatalf("Catalogue(%s) = %v", who, err)
	}
	titles := []string{}
	for _, e := range res.Items {
		titles = append(titles, e.Title)
	}
	return titles
}

func TestTheCatalogueFollowsEachCoursesSharing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	national, _ := f.publishedCourse(courseSpec{code: "N", title: "Nasional", sharing: SharingNational, tags: []string{"dasar"}})
	listed, _ := f.publishedCourse(courseSpec{code: "L", title: "Terbatas", sharing: SharingListed, sharedWith: []string{"P"}, mode: ModeBlended})
	private, _ := f.publishedCourse(courseSpec{code: "P", title: "Internal", sharing: SharingPrivate, tags: []string{"dasar"}})
	f.draftCourse(courseSpec{code: "D", title: "Draf"})
	all := []string{"Internal", "Nasional", "Terbatas"}

	tests := []struct {
		who  string
		want []string
	}{
		{"learnerA1", all}, // inside the owner's subtree
		{"learnerP1", []string{"Nasional", "Terbatas"}}, // inside a listed organisation's subtree
		{"learnerB1", []string{"Nasional"}},             // elsewhere
		{"authorB", []string{"Nasional"}},
		{"admin", all},
	}
	for _, tt := range tests {
		t.Run(tt.who+" sees "+strings.Join(tt.want, ", "), func(t *testing.T) {
			if got := catalogueTitles(t, f, tt.who, CatalogueFilter{}); !slices.Equal(got, tt.want) {
				t.Errorf("Catalogue = %v, want %v", got, tt.want)
			}
			for _, c := range []Course{national, listed, private} {
				_, err := f.svc.Course(f.as(tt.who), c.ID)
				visible := slices.Contains(tt.want, c.Published.Title)
				if visible && err != nil || !visible && !errors.Is(err, ErrCourseNotFound) {
					t.Errorf("Course(%s) = %v, want visible %v", c.Code, err, visible)
				}
			}
		})
	}

	filters := []struct {
		name   string
		filter CatalogueFilter
		want   []string
	}{
		{"by words of the title", CatalogueFilter{Query: "nasio"}, []string{"Nasional"}},
		{"by the start of a word of a tag", CatalogueFilter{Query: "DASA"}, []string{"Internal", "Nasional"}},
		{"by words that must all appear", CatalogueFilter{Query: "dasar nasional"}, []string{"Nasional"}},
		{"by the code", CatalogueFilter{Query: "l"}, []string{"Terbatas"}},
		{"by words and a tag", CatalogueFilter{Query: "internal", Tag: "dasar"}, []string{"Internal"}},
		{"by tag", CatalogueFilter{Tag: "Dasar"}, []string{"Internal", "Nasional"}},
		{"by mode", CatalogueFilter{Mode: ModeBlended}, []string{"Terbatas"}},
		{"by organisation", CatalogueFilter{OrgID: f.org["B"]}, []string{}},
		{"by the owning organisation", CatalogueFilter{OrgID: f.org["A"], Mode: ModeOnline}, []string{"Internal", "Nasional"}},
		{"with a wildcard that matches only itself", CatalogueFilter{Query: "%"}, []string{}},
	}
	for _, tt := range filters {
		t.Run("filtered "+tt.name, func(t *testing.T) {
			if got := catalogueTitles(t, f, "learnerA1", tt.filter); !slices.Equal(got, tt.want) {
				t.Errorf("Catalogue(%+v) = %v, want %v", tt.filter, got, tt.want)
			}
		})
	}

	t.Run("pages follow each other without gaps or repeats", func(t *testing.T) {
		for _, search := range []struct {
			filter CatalogueFilter
			want   []string
		}{
			{CatalogueFilter{}, all},
			{CatalogueFilter{Tag: "dasar"}, []string{"Internal", "Nasional"}},
			{CatalogueFilter{Query: "dasa"}, []string{"Internal", "Nasional"}},
		} {
			for _, sort := range []string{"title", "-title", "published_at", "-published_at"} {
				var got []string
				req := page.Request{Limit: 1, Sort: sort}
				for range 5 {
					res, err := f.svc.Catalogue(f.as("learnerA1"), search.filter, req)
					if err != nil {
						t.Fatalf("Catalogue(%+v, sort %s) = %v", search.filter, sort, err)
					}
					for _, e := range res.Items {
						got = append(got, e.Title)
					}
					if res.NextCursor == "" {
						break
					}
					req.Cursor = res.NextCursor
				}
				if sort == "title" && !slices.IsSorted(got) || sort == "-title" && !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(b, a) }) {
					t.Errorf("pages of %+v sorted by %s = %v, out of order", search.filter, sort, got)
				}
				slices.Sort(got)
				if !slices.Equal(got, search.want) {
					t.Errorf("pages of %+v sorted by %s = %v, want each of %v once", search.filter, sort, got, search.want)
				}
			}
		}
	})

	t.Run("sharing changes reach the catalogue at once", func(t *testing.T) {
		if _, err := f.svc.UpdateCourse(f.as("authorA"), private.ID, CoursePatch{Sharing: ptr(SharingListed),
			SharedOrgIDs: &[]uuid.UUID{f.org["B1"]}}); err != nil {
			t.Fatalf("UpdateCourse = %v", err)
		}
		if got := catalogueTitles(t, f, "learnerB1", CatalogueFilter{}); !slices.Equal(got, []string{"Internal", "Nasional"}) {
			t.Errorf("Catalogue(learnerB1) after sharing with B1 = %v", got)
		}
		_, err := f.svc.UpdateCourse(f.as("authorA"), private.ID, CoursePatch{Sharing: ptr(SharingListed), SharedOrgIDs: &[]uuid.UUID{}})
		wantErr(t, "UpdateCourse(listed with nobody)", err, errValidation, "shared_org_ids")
	})
}

func TestSimilarProgrammesOfOtherAgenciesAreFoundBeforePublishing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dup, _ := f.publishedCourse(courseSpec{owner: "B", code: "KOM-LD", title: "Literasi Digital untuk ASN",
		objectives: []string{"Peserta memahami keamanan informasi dan etika digital", "Peserta mampu memakai layanan SPBE"},
		competency: []string{"literasi-digital", "keamanan-informasi", "etika-digital"}})
	f.publishedCourse(courseSpec{owner: "B", code: "KOM-KEU", title: "Pengelolaan Keuangan Daerah",
		objectives: []string{"Peserta menyusun anggaran daerah"}, competency: []string{"keuangan-daerah"}})
	f.publishedCourse(courseSpec{owner: "A", code: "A-LD", title: "Literasi Digital untuk ASN Daerah",
		objectives: []string{"Peserta memahami keamanan informasi"}, competency: []string{"literasi-digital"}})
	_, draft := f.draftCourse(courseSpec{owner: "A", code: "A-LD2", title: "Literasi Digital bagi ASN",
		objectives: []string{"Peserta memahami keamanan informasi dan etika digital"},
		competency: []string{"literasi-digital", "etika-digital"}})

	for _, who := range []string{"authorA", "reviewerA"} {
		got, err := f.svc.Similar(f.as(who), draft.ID)
		if err != nil {
			t.Fatalf("Similar(%s) = %v", who, err)
		}
		if len(got) != 1 || got[0].CourseID != dup.ID {
			t.Fatalf("Similar(%s) = %+v, want only the near-duplicate of agency B", who, got)
		}
		if got[0].Score < similarThreshold || got[0].TagOverlap != 2.0/3 || !slices.Equal(got[0].SharedTags, []string{"etika-digital", "literasi-digital"}) {
			t.Errorf("Similar score = %+v, want above the threshold with 2 of 3 tags shared", got[0])
		}
	}
	_, similar, err := f.svc.Submit(f.as("authorA"), draft.ID)
	if err != nil || len(similar) != 1 || similar[0].CourseID != dup.ID {
		t.Errorf("Submit similar = %+v, %v; want the near-duplicate", similar, err)
	}
}

func TestTextIsSanitizedOfScriptsAndEventHandlers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		gone     []string
		kept     []string
	}{
		{"a script element", `<p>Halo</p><script>alert(1)</script>`, []string{"<script", "alert"}, []string{"<p>Halo</p>"}},
		{"an onclick handler", `<a href="https://jdih.go.id" onclick="steal()">JDIH</a>`, []string{"onclick", "steal"}, []string{`href="https://jdih.go.id"`, "JDIH"}},
		{"a javascript: link", `<a href="javascript:alert(1)">x</a>`, []string{"javascript:"}, []string{"x"}},
		{"an image's onerror", `<img src="https://a.go.id/x.png" onerror="alert(1)">`, []string{"onerror"}, []string{"<img"}},
		{"an iframe", `<iframe src="https://evil.example"></iframe>ok`, []string{"iframe"}, []string{"ok"}},
		{"formatting", `<h2>Judul</h2><ul><li><strong>penting</strong></li></ul>`, nil, []string{"<h2>", "<strong>penting</strong>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitizeHTML(tt.in)
			for _, s := range tt.gone {
				if strings.Contains(got, s) {
					t.Errorf("sanitizeHTML(%q) = %q, still holds %q", tt.in, got, s)
				}
			}
			for _, s := range tt.kept {
				if !strings.Contains(got, s) {
					t.Errorf("sanitizeHTML(%q) = %q, lost %q", tt.in, got, s)
				}
			}
		})
	}

	f := newFixture(t)
	_, v := f.draftCourse(courseSpec{code: "SAN", title: "Sanitasi"})
	l := mustVersion(t, f, "authorA", v.ID).Modules[0].Lessons[0]
	it, err := f.svc.AddItem(f.as("authorA"), l.ID, ItemInput{Kind: KindText, Title: ptr("Bacaan"),
		Body: ptr(`<p onclick="x()">Aman</p><script>document.cookie</script>`)})
	if err != nil {
		t.Fatal(err)
	}
	stored := mustVersion(t, f, "authorA", v.ID).Modules[0].Lessons[0].Items[1]
	if stored.ID != it.ID || stored.Body != "<p>Aman</p>" {
		t.Errorf("stored body = %q, want <p>Aman</p>", stored.Body)
	}
	_, err = f.svc.AddItem(f.as("authorA"), l.ID, ItemInput{Kind: KindText, Title: ptr("Kosong"), Body: ptr(`<script>x</script>`)})
	wantErr(t, "AddItem(only a script)", err, errValidation, "body")
}

func TestItemsAreCheckedByKind(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.draftCourse(courseSpec{code: "KIND", title: "Jenis materi"})
	l := mustVersion(t, f, "authorA", v.ID).Modules[0].Lessons[0]
	first := l.Items[0]
	file := uuid.Must(uuid.NewV7())
	tests := []struct {
		name  string
		in    ItemInput
		field string
	}{
		{"a link without a url", ItemInput{Kind: KindLink, Title: ptr("Tautan")}, "url"},
		{"a link to a javascript: url", ItemInput{Kind: KindLink, Title: ptr("Tautan"), URL: Some("javascript:alert(1)")}, "url"},
		{"a link without a host", ItemInput{Kind: KindLink, Title: ptr("Tautan"), URL: Some("https://")}, "url"},
		{"a video without a file", ItemInput{Kind: KindVideo, Title: ptr("Video")}, "file_id"},
		{"a quiz with a file", ItemInput{Kind: KindQuiz, Title: ptr("Kuis"), FileID: Some(file)}, "file_id"},
		{"an unknown kind", ItemInput{Kind: "podcast", Title: ptr("x")}, "kind"},
		{"no title", ItemInput{Kind: KindSurvey}, "title"},
		{"negative minutes", ItemInput{Kind: KindSurvey, Title: ptr("x"), EstimatedMinutes: ptr(-5)}, "estimated_minutes"},
		{"waiting for an item of another version", ItemInput{Kind: KindSurvey, Title: ptr("x"), ReleaseAfterItemID: Some(uuid.Must(uuid.NewV7()))}, "release_after_item_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.AddItem(f.as("authorA"), l.ID, tt.in)
			wantErr(t, "AddItem", err, errValidation, tt.field)
		})
	}
	link, err := f.svc.AddItem(f.as("authorA"), l.ID, ItemInput{Kind: KindLink, Title: ptr("JDIH"), URL: Some("https://jdih.kemendagri.go.id"),
		ReleaseAfterItemID: Some(first.ID), Required: ptr(false)})
	if err != nil || link.Required || link.Position != 2 {
		t.Fatalf("AddItem(link) = %+v, %v; want an optional item in position 2", link, err)
	}
	_, err = f.svc.UpdateItem(f.as("authorA"), first.ID, ItemInput{ReleaseAfterItemID: Some(link.ID)})
	wantErr(t, "UpdateItem(a release cycle)", err, errValidation, "release_after_item_id")
	_, err = f.svc.UpdateItem(f.as("authorA"), first.ID, ItemInput{Kind: KindVideo})
	wantErr(t, "UpdateItem(another kind)", err, errValidation, "kind")
	if it, err := f.svc.UpdateItem(f.as("authorA"), link.ID, ItemInput{ReleaseAfterItemID: Optional[uuid.UUID]{Set: true}}); err != nil || it.ReleaseAfterItemID != nil {
		t.Errorf("UpdateItem(clear release rule) = %+v, %v; want no rule", it.ReleaseAfterItemID, err)
	}
}

func TestReorderMovesLessonsAndItemsAndRefusesAnIncompleteOutline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	author := f.as("authorA")
	_, v := f.draftCourse(courseSpec{code: "ORD", title: "Urutan"})
	m1 := mustVersion(t, f, "authorA", v.ID).Modules[0]
	l1 := m1.Lessons[0]
	m2, _ := f.svc.AddModule(author, v.ID, ModuleInput{Title: ptr("Modul 2")})
	l2, _ := f.svc.AddLesson(author, m2.ID, ModuleInput{Title: ptr("Pelajaran 2")})
	i2, err := f.svc.AddItem(author, l2.ID, ItemInput{Kind: KindSurvey, Title: ptr("Survei")})
	if err != nil {
		t.Fatal(err)
	}
	i1 := l1.Items[0]

	// Module 2 first; the survey moves into lesson 1, before the reading.
	o := Outline{
		{ID: m2.ID, Lessons: []OutlineLesson{{ID: l2.ID}}},
		{ID: m1.ID, Lessons: []OutlineLesson{{ID: l1.ID, ItemIDs: []uuid.UUID{i2.ID, i1.ID}}}},
	}
	got, err := f.svc.Reorder(author, v.ID, o, versionLock(t, f, v.ID))
	if err != nil {
		t.Fatalf("Reorder = %v", err)
	}
	if !reflect.DeepEqual(outlineOf(got.Modules), o) {
		t.Errorf("outline after Reorder = %+v, want %+v", outlineOf(got.Modules), o)
	}
	if _, err := f.svc.Reorder(author, v.ID, o, 1); !errors.Is(err, ErrVersionChanged) {
		t.Errorf("Reorder with a stale lock version = %v, want ErrVersionChanged", err)
	}
	incomplete := Outline{{ID: m1.ID, Lessons: []OutlineLesson{{ID: l1.ID, ItemIDs: []uuid.UUID{i1.ID}}}}}
	_, err = f.svc.Reorder(author, v.ID, incomplete, 0)
	wantErr(t, "Reorder(incomplete)", err, errValidation, "modules")
	twice := Outline{{ID: m1.ID, Lessons: []OutlineLesson{{ID: l1.ID, ItemIDs: []uuid.UUID{i1.ID, i1.ID, i2.ID}}, {ID: l2.ID}}}, {ID: m2.ID}}
	_, err = f.svc.Reorder(author, v.ID, twice, 0)
	wantErr(t, "Reorder(an item twice)", err, errValidation, "modules")
	if err := f.svc.DeleteModule(author, m2.ID); err != nil {
		t.Fatalf("DeleteModule = %v", err)
	}
	if n := f.count("SELECT count(*) FROM course_lessons WHERE version_id = ?", v.ID); n != 1 {
		t.Errorf("lessons after deleting module 2 = %d, want 1", n)
	}
}

func TestVersionUpdatesCheckTheLockVersionAndTheFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.draftCourse(courseSpec{code: "LOCK", title: "Kunci"})
	author := f.as("authorA")
	lock := versionLock(t, f, v.ID)
	got, err := f.svc.UpdateVersion(author, v.ID, VersionPatch{Title: ptr("Kunci baru"), JPCredit: Some(3.456)}, lock)
	if err != nil || got.LockVersion != lock+1 || got.JPCredit != 3.46 || got.ETag() != `"`+strconv.Itoa(lock+1)+`"` {
		t.Fatalf("UpdateVersion = %+v, %v; want lock %d and JP rounded to 3.46", got, err, lock+1)
	}
	if _, err := f.svc.UpdateVersion(author, v.ID, VersionPatch{Title: ptr("Lama")}, lock); !errors.Is(err, ErrVersionChanged) {
		t.Errorf("UpdateVersion with the old lock = %v, want ErrVersionChanged", err)
	}
	bad := []struct {
		name  string
		patch VersionPatch
		field string
	}{
		{"an empty title", VersionPatch{Title: ptr("  ")}, "title"},
		{"a JP of zero", VersionPatch{JPCredit: Some(0.0)}, "jp_credit"},
		{"a negative JP", VersionPatch{JPCredit: Some(-1.0)}, "jp_credit"},
		{"an unknown language", VersionPatch{Language: ptr(Language("fr"))}, "language"},
		{"an unknown mode", VersionPatch{DeliveryMode: ptr(DeliveryMode("hybrid"))}, "delivery_mode"},
		{"an unknown level", VersionPatch{Level: ptr(Level("expert"))}, "level"},
		{"too long a tag", VersionPatch{Tags: &[]string{strings.Repeat("x", 65)}}, "tags[0]"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.UpdateVersion(author, v.ID, tt.patch, 0)
			wantErr(t, "UpdateVersion", err, errValidation, tt.field)
		})
	}
	if n := versionLock(t, f, v.ID); n != lock+1 {
		t.Errorf("lock version after refused updates = %d, want %d", n, lock+1)
	}
}

func TestCoursesAreCreatedOnlyWhereTheCallerAuthors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := NewCourse{OrgID: f.org["A"], Code: "X-1", Version: VersionPatch{Title: ptr("Kursus")}}
	tests := []struct {
		name   string
		who    string
		mutate func(*NewCourse)
		want   error
		field  string
	}{
		{"an instructor of another agency", "authorB", func(*NewCourse) {}, errValidation, "org_id"},
		{"a reviewer of the institute", "reviewerA", func(*NewCourse) {}, authz.ErrForbidden, ""},
		{"an unknown organisation", "authorA", func(c *NewCourse) { c.OrgID = uuid.Must(uuid.NewV7()) }, errValidation, "org_id"},
		{"a bad code", "authorA", func(c *NewCourse) { c.Code = "kode dengan spasi" }, errValidation, "code"},
		{"listed sharing without organisations", "authorA", func(c *NewCourse) { c.Sharing = SharingListed }, errValidation, "shared_org_ids"},
		{"sharing with an unknown organisation", "authorA", func(c *NewCourse) {
			c.Sharing, c.SharedOrgIDs = SharingListed, []uuid.UUID{uuid.Must(uuid.NewV7())}
		}, errValidation, "shared_org_ids[0]"},
		{"no title", "authorA", func(c *NewCourse) { c.Version.Title = nil }, errValidation, "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			in := base
			tt.mutate(&in)
			_, err := f.svc.CreateCourse(f.as(tt.who), in)
			var fields []string
			if tt.field != "" {
				fields = []string{tt.field}
			}
			wantErr(t, "CreateCourse", err, tt.want, fields...)
		})
	}
	if n := f.count("SELECT count(*) FROM courses"); n != 0 {
		t.Errorf("courses after refusals = %d, want 0", n)
	}
	if _, err := f.svc.CreateCourse(f.as("authorA"), base); err != nil {
		t.Fatalf("CreateCourse = %v", err)
	}
	_, err := f.svc.CreateCourse(f.as("authorA"), base)
	wantErr(t, "CreateCourse(same code)", err, ErrCodeTaken)
	other := base
	other.OrgID = f.org["A1"] // the same code in another organisation is fine
	if _, err := f.svc.CreateCourse(f.as("authorA"), other); err != nil {
		t.Errorf("CreateCourse(same code, sub-unit) = %v", err)
	}
}

func TestLearningPathsOrderPublishedCoursesWithPrerequisites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	basic, _ := f.publishedCourse(courseSpec{code: "P1", title: "Dasar"})
	advanced, _ := f.publishedCourse(courseSpec{code: "P2", title: "Lanjut"})
	foreign, _ := f.publishedCourse(courseSpec{owner: "B", code: "P3", title: "Privat B", sharing: SharingPrivate})
	draft, _ := f.draftCourse(courseSpec{code: "P4", title: "Draf"})
	author := f.as("authorA")
	in := PathInput{OrgID: f.org["A"], Code: "JALUR-1", Title: "Jalur Talenta Digital", Sharing: SharingPrivate,
		Steps: []StepInput{{CourseID: basic.ID}, {CourseID: advanced.ID, PrerequisiteCourseIDs: []uuid.UUID{basic.ID}}}}

	p, err := f.svc.CreatePath(author, in)
	if err != nil {
		t.Fatalf("CreatePath = %v", err)
	}
	steps, err := f.svc.PathCourses(context.Background(), p.ID)
	if err != nil || len(steps) != 2 || steps[1].CourseID != advanced.ID || !slices.Equal(steps[1].PrerequisiteCourseIDs, []uuid.UUID{basic.ID}) ||
		steps[0].PublishedVersionID == nil || *steps[0].PublishedVersionID != *basic.PublishedVersionID {
		t.Fatalf("PathCourses = %+v, %v; want basic then advanced after basic, with their published versions", steps, err)
	}

	bad := []struct {
		name  string
		steps []StepInput
		field string
	}{
		{"a prerequisite from a later step", []StepInput{{CourseID: basic.ID, PrerequisiteCourseIDs: []uuid.UUID{advanced.ID}}, {CourseID: advanced.ID}}, "steps[0].prerequisite_course_ids"},
		{"the same course twice", []StepInput{{CourseID: basic.ID}, {CourseID: basic.ID}}, "steps[1].course_id"},
		{"a course never published", []StepInput{{CourseID: draft.ID}}, "steps[0].course_id"},
		{"a private course of another agency", []StepInput{{CourseID: foreign.ID}}, "steps[0].course_id"},
		{"no courses", nil, "steps"},
	}
	for _, tt := range bad {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			bad := in
			bad.Code, bad.Steps = "JALUR-X", tt.steps
			_, err := f.svc.CreatePath(author, bad)
			wantErr(t, "CreatePath", err, errValidation, tt.field)
		})
	}

	if _, err := f.svc.Path(f.as("learnerB1"), p.ID); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("Path(learner of another agency) = %v, want ErrPathNotFound for a private path", err)
	}
	if _, err := f.svc.Path(f.as("learnerA1"), p.ID); err != nil {
		t.Errorf("Path(learner of the institute) = %v", err)
	}
	if _, err := f.svc.UpdatePath(f.as("learnerA1"), p.ID, PathPatch{Title: ptr("x")}); !errors.Is(err, authz.ErrForbidden) {
		t.Errorf("UpdatePath(learner) = %v, want ErrForbidden", err)
	}
	updated, err := f.svc.UpdatePath(author, p.ID, PathPatch{Sharing: ptr(SharingNational), Steps: &[]StepInput{{CourseID: advanced.ID}}})
	if err != nil || updated.Sharing != SharingNational || len(updated.Steps) != 1 {
		t.Fatalf("UpdatePath = %+v, %v", updated, err)
	}
	list, err := f.svc.Paths(f.as("learnerB1"), uuid.Nil, "talenta", page.Request{Limit: 10})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != p.ID {
		t.Errorf("Paths(learnerB1) = %+v, %v; want the now national path", list.Items, err)
	}
	if err := f.svc.DeletePath(author, p.ID); err != nil {
		t.Fatalf("DeletePath = %v", err)
	}
	if _, err := f.svc.Path(f.as("learnerB1"), p.ID); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("Path after delete = %v, want ErrPathNotFound", err)
	}
	if steps, err := f.svc.PathCourses(context.Background(), p.ID); err != nil || len(steps) != 1 {
		t.Errorf("PathCourses after delete = %v, %v; want the steps still readable for delivery", steps, err)
	}
}

func TestPublishedVersionRefusesVersionsNeverPublished(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.draftCourse(courseSpec{code: "NP", title: "Belum terbit"})
	if _, err := f.svc.PublishedVersion(context.Background(), v.ID); !errors.Is(err, ErrVersionNotPublished) {
		t.Errorf("PublishedVersion(draft) = %v, want ErrVersionNotPublished", err)
	}
	if _, err := f.svc.PublishedVersion(context.Background(), uuid.Must(uuid.NewV7())); !errors.Is(err, ErrVersionNotFound) {
		t.Errorf("PublishedVersion(unknown) = %v, want ErrVersionNotFound", err)
	}
}

func TestLearnersSeeTheOutlineButOnlyEnrolledOnesTheContent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, v := f.publishedCourse(courseSpec{code: "OUT", title: "Kerangka"})
	browsing := mustVersion(t, f, "learnerB1", v.ID)
	it := browsing.Modules[0].Lessons[0].Items[0]
	if !browsing.ContentHidden || it.Body != "" || it.Title != "Bacaan" {
		t.Errorf("Version(browsing learner) item = %+v, want the title without the body", it)
	}
	f.access.enrol(f.actor["learnerB1"].UserID, v.ID)
	enrolled := mustVersion(t, f, "learnerB1", v.ID)
	if enrolled.ContentHidden || enrolled.Modules[0].Lessons[0].Items[0].Body == "" {
		t.Errorf("Version(enrolled learner) = hidden %v, want the content", enrolled.ContentHidden)
	}
}

func TestSimilarProgrammesListOnlyCoursesTheCallerFindsInTheCatalogue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	spec := func(code string, sharing Sharing, with ...string) courseSpec {
		return courseSpec{owner: "B", code: code, title: "Literasi Digital untuk ASN " + code, sharing: sharing, sharedWith: with,
			objectives: []string{"Peserta memahami keamanan informasi dan etika digital"}, competency: []string{"literasi-digital", "etika-digital"}}
	}
	national, _ := f.publishedCourse(spec("NAS", SharingNational))
	listed, _ := f.publishedCourse(spec("LIS", SharingListed, "A"))
	f.publishedCourse(spec("PRIV", SharingPrivate))
	f.publishedCourse(spec("LIS-P", SharingListed, "P"))
	_, draft := f.draftCourse(courseSpec{owner: "A", code: "A-LD", title: "Literasi Digital bagi ASN",
		objectives: []string{"Peserta memahami keamanan informasi dan etika digital"}, competency: []string{"literasi-digital", "etika-digital"}})

	tests := []struct {
		name string
		run  func() ([]Similar, error)
	}{
		{"looking for similar courses", func() ([]Similar, error) { return f.svc.Similar(f.as("reviewerA"), draft.ID) }},
		{"submitting for review", func() ([]Similar, error) {
			_, similar, err := f.svc.Submit(f.as("authorA"), draft.ID)
			return similar, err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.run()
			if err != nil {
				t.Fatalf("%s = %v", tt.name, err)
			}
			var ids []uuid.UUID
			for _, s := range got {
				ids = append(ids, s.CourseID)
			}
			want := []uuid.UUID{national.ID, listed.ID}
			slices.SortFunc(ids, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
			slices.SortFunc(want, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
			if !slices.Equal(ids, want) {
				t.Errorf("%s found %v, want only the national course and the one listed for A: %v", tt.name, ids, want)
			}
		})
	}
}

func TestStaffListTheCoursesOfTheirWholeSubtree(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.draftCourse(courseSpec{owner: "A", code: "A-DRAFT", title: "Tata Kelola Data"})
	f.draftCourse(courseSpec{owner: "B", code: "B-DRAFT", title: "Layanan Publik Digital"})
	f.actor["ministryAdmin"] = &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.org["R"], HomeOrgPath: f.path["R"],
		Grants: []authz.Grant{{ID: uuid.Must(uuid.NewV7()), Role: authz.RoleOrgAdmin, OrgID: f.org["R"], OrgPath: f.path["R"]}}}
	tests := []struct {
		who  string
		want []string
	}{
		{"ministryAdmin", []string{"A-DRAFT", "B-DRAFT"}}, // granted on the ministry, which holds both agencies
		{"authorA", []string{"A-DRAFT"}},
		{"reviewerB", []string{"B-DRAFT"}},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			req, _ := page.NewRequest(50, "", "")
			res, err := f.svc.Courses(f.as(tt.who), CourseFilter{}, req)
			if err != nil {
				t.Fatalf("Courses = %v", err)
			}
			var got []string
			for _, c := range res.Items {
				got = append(got, c.Code)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Courses as %s = %v, want %v", tt.who, got, tt.want)
			}
		})
	}
}

func TestAReviewTakesFourEyes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// Leads of institute A both author and review.
	for _, name := range []string{"lead1", "lead2", "lead3"} {
		f.actor[name] = &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.org["A"], HomeOrgPath: f.path["A"],
			Grants: []authz.Grant{
				{ID: uuid.Must(uuid.NewV7()), Role: authz.RoleInstructor, OrgID: f.org["A"], OrgPath: f.path["A"]},
				{ID: uuid.Must(uuid.NewV7()), Role: authz.RoleReviewer, OrgID: f.org["A"], OrgPath: f.path["A"]},
			}}
	}
	tests := []struct {
		name      string
		creator   string // makes the course and its draft
		editor    string // changes the draft, if set
		submitter string
		reviewer  string
		decision  Decision
		want      error
	}{
		{"the creator may not approve", "lead1", "", "lead1", "lead1", DecisionApprove, ErrOwnWork},
		{"the creator may not request changes", "lead1", "", "lead1", "lead1", DecisionRequestChanges, ErrOwnWork},
		{"an editor may not approve", "authorA", "lead2", "authorA", "lead2", DecisionApprove, ErrOwnWork},
		{"the submitter may not approve", "authorA", "", "lead2", "lead2", DecisionApprove, ErrOwnWork},
		{"a second person approves", "lead1", "lead2", "lead1", "lead3", DecisionApprove, nil},
		{"a second person requests changes", "lead1", "", "lead1", "reviewerA", DecisionRequestChanges, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			title := "Empat Mata " + strconv.Itoa(i)
			c, err := f.svc.CreateCourse(f.as(tt.creator), NewCourse{OrgID: f.org["A"], Code: "FOUR-EYES-" + strconv.Itoa(i), Sharing: SharingNational,
				Version: VersionPatch{Title: &title, Objectives: &[]string{"Dua orang"}, JPCredit: Some(4.0)}})
			if err != nil {
				t.Fatal(err)
			}
			m, err := f.svc.AddModule(f.as(tt.creator), c.Open.ID, ModuleInput{Title: ptr("M")})
			if err != nil {
				t.Fatal(err)
			}
			l, err := f.svc.AddLesson(f.as(tt.creator), m.ID, ModuleInput{Title: ptr("L")})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AddItem(f.as(tt.creator), l.ID, ItemInput{Kind: KindText, Title: ptr("B"), Body: ptr("<p>x</p>")}); err != nil {
				t.Fatal(err)
			}
			if tt.editor != "" {
				if _, err := f.svc.UpdateVersion(f.as(tt.editor), c.Open.ID, VersionPatch{Summary: ptr("Diubah")}, 0); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := f.svc.Submit(f.as(tt.submitter), c.Open.ID); err != nil {
				t.Fatal(err)
			}
			_, v, err := f.svc.Review(f.as(tt.reviewer), c.Open.ID, ReviewInput{Decision: tt.decision, Checklist: allChecked, Comments: "Catatan."})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Review by %s = %v, want %v", tt.reviewer, err, tt.want)
			}
			if tt.want != nil {
				if got := f.count("SELECT count(*) FROM course_reviews WHERE version_id = ?", c.Open.ID); got != 0 {
					t.Errorf("reviews recorded = %d, want none", got)
				}
				return
			}
			if tt.decision == DecisionApprove && v.Status != StatusPublished {
				t.Errorf("approved version = %s, want published", v.Status)
			}
		})
	}
}

// TestAVersionWithoutListsStoresEmptyArraysNotNULL pins what the store's
// array columns hold now that they go through database.Array, for which nil
// is NULL: a version given no objectives or tags, and a path step with no
// prerequisites, are written as empty arrays (the columns are NOT NULL) and
// read back as empty lists.
func TestAVersionWithoutListsStoresEmptyArraysNotNULL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	c, _ := f.publishedCourse(courseSpec{code: "KOSONG-1", title: "Terbit"})
	now := time.Now().UTC()
	draft := Version{ID: uuid.Must(uuid.NewV7()), CourseID: c.ID, Number: 2, Status: StatusDraft, Title: "Tanpa daftar",
		Language: LanguageIndonesian, DeliveryMode: ModeOnline, Level: LevelBasic, CreatedBy: f.actor["authorA"].UserID, CreatedAt: now, UpdatedAt: now}
	if err := f.svc.store.createVersion(ctx, draft); err != nil {
		t.Fatalf("createVersion with nil lists = %v", err)
	}
	v, err := f.svc.store.version(ctx, draft.ID, false)
	if err != nil {
		t.Fatalf("version = %v", err)
	}
	for name, list := range map[string][]string{"objectives": v.Objectives, "tags": v.Tags, "competency_tags": v.CompetencyTags} {
		if list == nil || len(list) != 0 {
			t.Errorf("%s = %#v, want an empty, non-nil list", name, list)
		}
	}

	p, err := f.svc.CreatePath(f.as("authorA"), PathInput{OrgID: f.org["A"], Code: "JALUR-KOSONG", Title: "Jalur", Sharing: SharingNational,
		Steps: []StepInput{{CourseID: c.ID}}})
	if err != nil {
		t.Fatalf("CreatePath = %v", err)
	}
	if err := f.svc.store.setPathSteps(ctx, p.ID, []StepInput{{CourseID: c.ID}}); err != nil {
		t.Fatalf("setPathSteps with nil prerequisites = %v", err)
	}
	steps, err := f.svc.store.pathSteps(ctx, p.ID)
	if err != nil || len(steps[p.ID]) != 1 {
		t.Fatalf("pathSteps = %v, %v; want one step", steps, err)
	}
	if pre := steps[p.ID][0].PrerequisiteCourseIDs; pre == nil || len(pre) != 0 {
		t.Errorf("prerequisites = %#v, want an empty, non-nil list", pre)
	}
}

// assertVersionPages pages through a course's versions one at a time and
// checks their numbers, newest first.
func assertVersionPages(t *testing.T, svc *Service, ctx context.Context, courseID uuid.UUID, want []int) {
	t.Helper()
	var got []int
	req := page.Request{Limit: 1}
	for range len(want) + 1 {
		res, err := svc.Versions(ctx, courseID, req)
		if err != nil {
			t.Fatalf("Versions(cursor %q) = %v", req.Cursor, err)
		}
		for _, v := range res.Items {
			got = append(got, v.Number)
		}
		if req.Cursor = res.NextCursor; req.Cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("version numbers page by page = %v, want %v", got, want)
	}
}
