package app

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// assignWorld is what the tenancy matrix needs of assignments: a rubric of
// BPSDM Jawa Barat, a published course shared with the province with an
// assignment item taking text, a class of it where Budi is enrolled, and
// Budi's first submission.
type assignWorld struct {
	rubric, course, version, item, class, submission string
	peerReview                                       string // Budi's, of Rina's work
}

var assignWorldOnce, peerWorldOnce sync.Mutex

// textAssignment is an assignment that takes a text answer or a PDF.
var textAssignment = map[string]any{"instructions": "Tulis rencana digitalisasi layanan unit Anda.", "allow_text": true,
	"allow_links": true, "max_files": 1, "file_types": []string{"application/pdf"}, "max_points": 100}

// serviceRubric is a rubric of two criteria worth 10 points.
func serviceRubric(org string) map[string]any {
	return map[string]any{"org_id": org, "name": "Rubrik Rencana Layanan", "criteria": []map[string]any{
		{"id": "analisis", "title": "Analisis masalah", "levels": []map[string]any{
			{"id": "kurang", "title": "Kurang", "points": 1}, {"id": "baik", "title": "Baik", "points": 5}}},
		{"id": "solusi", "title": "Solusi", "levels": []map[string]any{
			{"id": "kurang", "title": "Kurang", "points": 1}, {"id": "baik", "title": "Baik", "points": 5}}},
	}}
}

// assignments builds the assignment world on first use.
func (w *world) assignments(t *testing.T) *assignWorld {
	t.Helper()
	assignWorldOnce.Lock()
	defer assignWorldOnce.Unlock()
	if w.assign != nil {
		return w.assign
	}
	instructor := w.as[mInstructor]
	a := &assignWorld{}
	var rubric idResponse
	w.must(t, instructor, "POST", "/api/v1/rubrics", serviceRubric(w.bpsdmJabar), &rubric, 201)
	a.rubric = rubric.ID
	a.course, a.version, a.item = w.publishAssignment(t, "TUGAS-JABAR", textAssignment)
	a.class = w.newAssignmentClass(t, a.version)
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+a.class+"/enrolments", nil, nil, 201)
	var sub idResponse
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+a.class+"/assignments/"+a.item+"/submissions",
		map[string]any{"text": "Rencana digitalisasi perizinan."}, &sub, 201)
	a.submission = sub.ID
	w.assign = a
	return a
}

// publishAssignment publishes a course of BPSDM Jawa Barat, shared with the
// province, whose one item is an assignment with settings; it returns the
// course, its version and the item.
func (w *world) publishAssignment(t *testing.T, code string, settings map[string]any) (courseID, version, item string) {
	t.Helper()
	instructor := w.as[mInstructor]
	var course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	w.must(t, instructor, "POST", "/api/v1/courses", map[string]any{
		"org_id": w.bpsdmJabar, "code": code, "sharing": "listed", "shared_org_ids": []string{w.provJabar},
		"title": "Proyek Digitalisasi Layanan", "summary": "Proyek perubahan.", "language": "id",
		"objectives": []string{"Merancang layanan digital"}, "competency_tags": []string{"transformasi-digital"},
		"delivery_mode": "online", "jp_credit": 4, "level": "intermediate",
	}, &course, 201)
	courseID, version = course.ID, course.OpenVersion.ID
	var module, lesson idResponse
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/modules", map[string]any{"title": "Proyek"}, &module, 201)
	w.must(t, instructor, "POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Proyek perubahan"}, &lesson, 201)
	item = w.newAssignmentItem(t, lesson.ID)
	w.must(t, instructor, "PUT", "/api/v1/assignments/"+item, settings, nil, 201)
	w.must(t, instructor, "POST", "/api/v1/course-versions/"+version+"/submit", nil, nil, 200)
	w.must(t, w.as[mAdmin], "POST", "/api/v1/course-versions/"+version+"/reviews", approval, nil, 201)
	return courseID, version, item
}

// budiPeerReview is Budi's peer review of Rina's work in a class of a
// peer-reviewed assignment whose due date has passed.
func (w *world) budiPeerReview(t *testing.T) string {
	t.Helper()
	a := w.assignments(t)
	peerWorldOnce.Lock()
	defer peerWorldOnce.Unlock()
	if a.peerReview != "" {
		return a.peerReview
	}
	settings := map[string]any{"allow_text": true, "max_files": 0, "rubric_id": a.rubric,
		"peer_review": map[string]any{"reviewers": 2, "weight": 20, "deadline_seconds": 7 * 24 * 3600}}
	_, version, item := w.publishAssignment(t, "SEJAWAT-JABAR", settings)
	class := w.newAssignmentClass(t, version)
	rina := w.fixture.clients["bandung learner colleague"]
	for _, learner := range []*apiClient{w.as[mLearner], rina} {
		w.must(t, learner, "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
		w.must(t, learner, "POST", "/api/v1/classes/"+class+"/assignments/"+item+"/submissions", map[string]any{"text": "Rencana layanan."}, nil, 201)
	}
	base := "/api/v1/classes/" + class + "/assignments/" + item
	w.must(t, w.as[mInstructor], "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(-time.Minute)}, nil, 200)
	w.must(t, w.as[mInstructor], "POST", base+"/peer-reviews/allocate", nil, nil, 200)
	var mine struct {
		Items []idResponse `json:"items"`
	}
	w.must(t, w.as[mLearner], "GET", base+"/peer-reviews", nil, &mine, 200)
	if len(mine.Items) != 1 {
		t.Fatalf("Budi has %d peer reviews in a class of two, want 1", len(mine.Items))
	}
	a.peerReview = mine.Items[0].ID
	return a.peerReview
}

// newAssignmentItem adds an assignment item to a draft's lesson.
func (w *world) newAssignmentItem(t *testing.T, lesson string) string {
	t.Helper()
	var it idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/lessons/"+lesson+"/items", map[string]any{"kind": "assignment", "title": "Tugas proyek"}, &it, 201)
	return it.ID
}

// newAssignmentClass opens a class of a published version at BPSDM Jawa Barat.
func (w *world) newAssignmentClass(t *testing.T, version string) string {
	t.Helper()
	var class idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes", map[string]any{
		"version_id": version, "org_id": w.bpsdmJabar, "code": fmt.Sprintf("PRY-%d", w.seq()),
		"starts_on": "2026-01-01", "ends_on": "2030-12-31", "capacity": 50, "policy": "open", "region_code": "32",
	}, &class, 201)
	return class.ID
}

// signupGroup is a self-sign-up group of a fresh class Budi learns in.
func (w *world) signupGroup(t *testing.T) string {
	t.Helper()
	a := w.assignments(t)
	class := w.newAssignmentClass(t, a.version)
	w.must(t, w.as[mLearner], "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	var g idResponse
	w.must(t, w.as[mInstructor], "POST", "/api/v1/classes/"+class+"/assignment-groups",
		map[string]any{"name": "Tim Perizinan", "self_signup": true, "max_size": 4}, &g, 201)
	return g.ID
}

func (w *world) assignGet(path func(*assignWorld) string) func(*testing.T, string) call {
	return func(t *testing.T, _ string) call { return call{method: "GET", path: path(w.assignments(t))} }
}

func (w *world) assignSend(method string, path func(*assignWorld) string, body func() any) func(*testing.T, string) call {
	return func(t *testing.T, _ string) call {
		return call{method: method, path: path(w.assignments(t)), body: body()}
	}
}

// assignmentMatrix is the assignment rows of the tenancy matrix.
func (w *world) assignmentMatrix() map[string]matrixCase {
	courseReaders := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok)
	authors := is(mAdmin, ok, mInstructor, ok, mOrgAdmin, forbidden)
	classManagers := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden, mToken, forbidden)
	// The class's staff and its learner; who sees the class and is neither is refused.
	classMembers := is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, ok, mToken, forbidden)
	// Only the class's learner hands in work; staff who see the class may not.
	learnerOnly := is(mLearner, ok, mAdmin, forbidden, mOrgAdmin, forbidden, mInstructor, forbidden, mToken, forbidden)
	fixed := func(v any) func() any { return func() any { return v } }
	return map[string]matrixCase{
		"createRubric": {build: func(t *testing.T, _ string) call {
			return call{method: "POST", path: "/api/v1/rubrics", body: serviceRubric(w.bpsdmJabar)}
		}, want: want(badRef, authors)},
		"getRubric": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/rubrics/" + a.rubric }), want: want(hidden, courseReaders)},
		"updateRubric": {build: w.assignSend("PUT", func(a *assignWorld) string { return "/api/v1/rubrics/" + a.rubric },
			fixed(serviceRubric(w.bpsdmJabar))), want: want(hidden, authors)},
		"getAssignment": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/assignments/" + a.item }), want: want(hidden, courseReaders)},
		"setAssignment": {build: func(t *testing.T, _ string) call {
			return call{method: "PUT", path: "/api/v1/assignments/" + w.newAssignmentItem(t, w.newDraft(t).lesson), body: textAssignment}
		}, want: want(hidden, authors)},
		"getClassAssignment": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/classes/" + a.class + "/assignments/" + a.item }),
			want: want(hidden, classMembers)},
		"setClassAssignmentSettings": {build: w.assignSend("PUT", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/settings"
		}, fixed(map[string]any{"late_policy": "flag"})), want: want(hidden, classManagers)},
		"setAssignmentExtension": {build: w.assignSend("PUT", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/extensions/" + w.budi
		}, fixed(map[string]any{"due_at": "2030-06-30T17:00:00Z"})), want: want(hidden, classManagers)},
		"listAssignmentGroups": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/classes/" + a.class + "/assignment-groups" }),
			want: want(hidden, classMembers)},
		"createAssignmentGroup": {build: w.assignSend("POST", func(a *assignWorld) string { return "/api/v1/classes/" + a.class + "/assignment-groups" },
			func() any { return map[string]any{"name": fmt.Sprintf("Tim %d", w.seq()), "max_size": 3} }), want: want(hidden, classManagers)},
		"joinAssignmentGroup": {build: func(t *testing.T, _ string) call {
			return call{method: "POST", path: "/api/v1/assignment-groups/" + w.signupGroup(t) + "/members"}
		}, want: want(hidden, learnerOnly)},
		"submitAssignment": {build: w.assignSend("POST", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/submissions"
		}, fixed(map[string]any{"text": "Versi berikutnya."})), want: want(hidden, learnerOnly)},
		"exportAssignmentSubmissions": {build: w.assignSend("POST", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/submissions/export"
		}, fixed(nil)), want: want(hidden, classManagers)},
		"listAssignmentSubmissions": {build: w.assignGet(func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/submissions"
		}), want: want(hidden, classMembers)},
		"gradeAssignmentSubmission": {build: w.assignSend("POST", func(a *assignWorld) string { return "/api/v1/assignment-submissions/" + a.submission + "/grades" },
			fixed(map[string]any{"points": 80, "feedback": "Analisis baik."})),
			// Budi may not grade his own work: he sees it, so 403.
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden))},
		"listAssignmentGrades": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/assignment-submissions/" + a.submission + "/grades" }),
			want: want(hidden, is(mAdmin, ok, mOrgAdmin, ok, mInstructor, ok, mLearner, forbidden))},
		"releaseAssignmentGrades": {build: w.assignSend("POST", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/release"
		}, fixed(nil)), want: want(hidden, classManagers)},
		"getMyAssignmentResult": {build: w.assignGet(func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/result"
		}),
			want: want(hidden, learnerOnly)},
		// The world's assignment has no peer review: graders reach the 409.
		"allocatePeerReviews": {build: w.assignSend("POST", func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/peer-reviews/allocate"
		}, fixed(nil)), want: want(hidden, is(mAdmin, allowed, mOrgAdmin, allowed, mInstructor, allowed, mLearner, forbidden, mToken, forbidden))},
		"listMyPeerReviews": {build: w.assignGet(func(a *assignWorld) string {
			return "/api/v1/classes/" + a.class + "/assignments/" + a.item + "/peer-reviews"
		}),
			want: want(hidden, learnerOnly)},
		"submitPeerReview": {build: func(t *testing.T, _ string) call {
			return call{method: "PUT", path: "/api/v1/peer-reviews/" + w.budiPeerReview(t), body: map[string]any{"levels": map[string]string{"analisis": "baik", "solusi": "baik"}}}
		}, want: want(hidden, is(mLearner, ok))},
		"listSubmissionPeerReviews": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/assignment-submissions/" + a.submission + "/peer-reviews" }),
			want: want(hidden, is(mLearner, ok, mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
		// Budi's work: Budi and the class's graders; the org.read token is no learner and no grader.
		"getAssignmentSubmission": {build: w.assignGet(func(a *assignWorld) string { return "/api/v1/assignment-submissions/" + a.submission }),
			want: want(hidden, is(mLearner, ok, mAdmin, ok, mOrgAdmin, ok, mInstructor, ok))},
	}
}
