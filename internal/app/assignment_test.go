package app

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/identity"
)

// png is the start of a PNG image: it sniffs as image/png whatever its name.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 20)...)

func TestBadSubmissionsAndGradesGetAClear4xxAndWriteNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	instructor, budi := w.as[mInstructor], w.as[mLearner]
	rina := w.fixture.clients["bandung learner colleague"]
	var rubric idResponse
	w.must(t, instructor, "POST", "/api/v1/rubrics", serviceRubric(w.bpsdmJabar), &rubric, 201)
	_, version, item := w.publishAssignment(t, "TUGAS-KETAT", map[string]any{"rubric_id": rubric.ID,
		"file_types": []string{"application/pdf"}, "max_files": 1, "max_file_size": 100, "allow_text": false, "max_points": 100})
	class := w.newAssignmentClass(t, version)
	base := "/api/v1/classes/" + class + "/assignments/" + item
	for _, l := range []*apiClient{budi, rina, instructor} {
		w.must(t, l, "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	}
	w.must(t, instructor, "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(time.Hour),
		"cutoff_at": time.Now().UTC().Add(2 * time.Hour), "late_policy": "refuse"}, nil, 200)

	small := uploadFile(t, budi, "assignment_submission", w.diskominfo, "ringkas.pdf", "application/pdf", pdf("ok"))
	large := uploadFile(t, budi, "assignment_submission", w.diskominfo, "besar.pdf", "application/pdf", pdf(string(bytes.Repeat([]byte("x"), 200))))
	image := uploadFile(t, budi, "assignment_submission", w.diskominfo, "foto.pdf", "application/pdf", png)
	rinas := uploadFile(t, rina, "assignment_submission", w.diskominfo, "milik-rina.pdf", "application/pdf", pdf("rina"))
	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"a file over the assignment's limit is too large", map[string]any{"file_ids": []string{large}}, 413},
		{"an image named .pdf is of a type not allowed", map[string]any{"file_ids": []string{image}}, 415},
		{"another learner's file is no file of the caller's", map[string]any{"file_ids": []string{rinas}}, 422},
		{"more files than allowed is invalid", map[string]any{"file_ids": []string{small, large}}, 422},
		{"text where none is taken is invalid", map[string]any{"text": "Teks."}, 422},
		{"an empty submission is invalid", map[string]any{}, 422},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := *budi
			c.t = t
			if got := c.do("POST", base+"/submissions", tt.body, nil); got != tt.want {
				t.Errorf("submit = %d, want %d", got, tt.want)
			}
		})
	}
	var list struct {
		Items []submissionBody `json:"items"`
	}
	w.must(t, budi, "GET", base+"/submissions", nil, &list, 200)
	if len(list.Items) != 0 {
		t.Fatalf("refused submits left %d versions", len(list.Items))
	}

	// A good submit; Rina may neither read it nor find it in her list.
	var sub submissionBody
	w.must(t, budi, "POST", base+"/submissions", map[string]any{"file_ids": []string{small}}, &sub, 201)
	w.must(t, rina, "GET", "/api/v1/assignment-submissions/"+sub.ID, nil, nil, 404)
	w.must(t, rina, "GET", base+"/submissions", nil, &list, 200)
	if len(list.Items) != 0 {
		t.Errorf("Rina lists %d submissions of others", len(list.Items))
	}

	// Grading by rubric: an unknown level, or points, is invalid and records nothing.
	grades := "/api/v1/assignment-submissions/" + sub.ID + "/grades"
	w.must(t, instructor, "POST", grades, map[string]any{"levels": map[string]string{"analisis": "sempurna", "solusi": "baik"}}, nil, 422)
	w.must(t, instructor, "POST", grades, map[string]any{"points": 80}, nil, 422)
	var recorded struct {
		Items []any `json:"items"`
	}
	w.must(t, instructor, "GET", grades, nil, &recorded, 200)
	if len(recorded.Items) != 0 {
		t.Errorf("refused grades left %d grades", len(recorded.Items))
	}
	// Budi may not grade his own work, nor the instructor who is enrolled hers.
	w.must(t, budi, "POST", grades, map[string]any{"levels": map[string]string{"analisis": "baik", "solusi": "baik"}}, nil, 403)
	own := uploadFile(t, instructor, "assignment_submission", w.bpsdmJabar, "karya.pdf", "application/pdf", pdf("karya"))
	var hers submissionBody
	w.must(t, instructor, "POST", base+"/submissions", map[string]any{"file_ids": []string{own}}, &hers, 201)
	w.must(t, instructor, "POST", "/api/v1/assignment-submissions/"+hers.ID+"/grades",
		map[string]any{"levels": map[string]string{"analisis": "baik", "solusi": "baik"}}, nil, 403)
	// A second grader must be someone else than the first.
	w.must(t, instructor, "POST", grades, map[string]any{"levels": map[string]string{"analisis": "baik", "solusi": "baik"}}, nil, 200)
	w.must(t, instructor, "POST", grades, map[string]any{"role": "second", "levels": map[string]string{"analisis": "baik", "solusi": "baik"}}, nil, 409)

	// Late work is refused by this class, and nothing after the cut-off.
	w.must(t, instructor, "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(-time.Hour),
		"cutoff_at": time.Now().UTC().Add(time.Hour), "late_policy": "refuse"}, nil, 200)
	w.must(t, budi, "POST", base+"/submissions", map[string]any{"file_ids": []string{small}}, nil, 409)
	w.must(t, instructor, "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(-2 * time.Hour),
		"cutoff_at": time.Now().UTC().Add(-time.Hour), "late_policy": "flag"}, nil, 200)
	w.must(t, budi, "POST", base+"/submissions", map[string]any{"file_ids": []string{small}}, nil, 409)
	// The instructor, enrolled too, gives herself no extension.
	var me struct {
		User idResponse `json:"user"`
	}
	w.must(t, instructor, "GET", "/api/v1/me", nil, &me, 200)
	w.must(t, instructor, "PUT", base+"/extensions/"+me.User.ID,
		map[string]any{"due_at": time.Now().UTC().Add(30 * time.Minute)}, nil, 403)
	// Rina's extension past the cut-off lets her hand in, on time.
	w.must(t, instructor, "PUT", base+"/extensions/"+w.fixture.user["rina@diskominfo.bandung.go.id"],
		map[string]any{"due_at": time.Now().UTC().Add(30 * time.Minute)}, nil, 204)
	var extended submissionBody
	w.must(t, rina, "POST", base+"/submissions", map[string]any{"file_ids": []string{rinas}}, &extended, 201)
	if extended.Late {
		t.Errorf("Rina's submit within her extension = %+v, want on time", extended)
	}
	w.must(t, budi, "GET", base+"/submissions", nil, &list, 200)
	if len(list.Items) != 1 {
		t.Errorf("Budi has %d versions, want the one accepted", len(list.Items))
	}
}

func TestPeerAllocationInAClassOfTwoGivesEachOneReviewer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// budiPeerReview allocates two reviewers per submission in a class of
	// Budi and Rina, and fails unless Budi gets exactly one review.
	review := w.budiPeerReview(t)
	var reviews struct {
		Items []struct {
			ReviewerID *string `json:"reviewer_id"`
		} `json:"items"`
	}
	var task struct {
		SubmissionID string `json:"submission_id"`
	}
	w.must(t, w.as[mLearner], "PUT", "/api/v1/peer-reviews/"+review, map[string]any{"levels": map[string]string{"analisis": "baik", "solusi": "kurang"}}, &task, 200)
	w.must(t, w.as[mLearner], "PUT", "/api/v1/peer-reviews/"+review, map[string]any{"levels": map[string]string{"analisis": "hebat", "solusi": "kurang"}}, nil, 422)
	w.must(t, w.fixture.clients["bandung learner colleague"], "GET", "/api/v1/assignment-submissions/"+task.SubmissionID+"/peer-reviews", nil, &reviews, 200)
	if len(reviews.Items) != 1 || reviews.Items[0].ReviewerID != nil {
		t.Errorf("Rina's work has reviews %+v, want one, without its reviewer", reviews.Items)
	}
}

func TestTheWorkerFlagsAnIdenticalFileForTheGraderAfterASubmit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.assignments(t) // Budi has handed in text already
	w.must(t, w.as[mInstructor], "PUT", "/api/v1/classes/"+a.class+"/staff",
		map[string]any{"staff": []map[string]any{{"user_id": w.instructorID, "role": "instructor"}}}, nil, 200)
	rina := w.fixture.clients["bandung learner colleague"]
	w.must(t, rina, "POST", "/api/v1/classes/"+a.class+"/enrolments", nil, nil, 201)
	base := "/api/v1/classes/" + a.class + "/assignments/" + a.item
	copied := pdf("laporan yang sama persis")
	budis := uploadFile(t, w.as[mLearner], "assignment_submission", w.diskominfo, "laporan.pdf", "application/pdf", copied)
	rinas := uploadFile(t, rina, "assignment_submission", w.diskominfo, "laporan-saya.pdf", "application/pdf", copied)
	w.must(t, w.as[mLearner], "POST", base+"/submissions", map[string]any{"file_ids": []string{budis}}, nil, 201)
	var rinaSub submissionBody
	w.must(t, rina, "POST", base+"/submissions", map[string]any{"file_ids": []string{rinas}}, &rinaSub, 201)

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.srv.App.RunWorker(ctx) }()
	t.Cleanup(func() { stop(); <-done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sub struct {
			Flags []struct {
				Kind string `json:"kind"`
			} `json:"flags"`
		}
		w.must(t, w.as[mInstructor], "GET", "/api/v1/assignment-submissions/"+rinaSub.ID, nil, &sub, 200)
		if len(sub.Flags) == 1 && sub.Flags[0].Kind == "exact_file" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Rina's copy has flags %+v 20 s after the submit, want one exact_file", sub.Flags)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The class's staff were mailed of each of the three submits (Budi's
	// first, made while building the world, is checked once the worker runs).
	for notified := 0; notified != 3; {
		if time.Now().After(deadline) {
			t.Fatalf("the instructor got %d submission mails, want 3 (one per submit)", notified)
		}
		time.Sleep(100 * time.Millisecond)
		var mails [][]byte
		if err := w.srv.Deps.DB.Conn(ctx).Raw("SELECT payload FROM outbox WHERE task_type = ?", identity.TypeSendMail).Scan(&mails).Error; err != nil {
			t.Fatal(err)
		}
		notified = 0
		for _, m := range mails {
			var p identity.SendMailPayload
			if err := json.Unmarshal(m, &p); err != nil {
				t.Fatal(err)
			}
			if p.To == jabarInstructorEmail && strings.Contains(p.Subject, "Kiriman tugas baru") {
				notified++
			}
		}
	}
	// The graders download every latest version as one ZIP built by the worker.
	var j struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		ResultURL string `json:"result_url"`
	}
	w.must(t, w.as[mInstructor], "POST", base+"/submissions/export", nil, &j, 202)
	for j.Status != "succeeded" {
		if time.Now().After(deadline) {
			t.Fatalf("export job %s 20 s after it started, want succeeded", j.Status)
		}
		time.Sleep(100 * time.Millisecond)
		w.must(t, w.as[mInstructor], "GET", "/api/v1/jobs/"+j.ID, nil, &j, 200)
	}
	resp, err := http.Get(j.ResultURL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download the ZIP = %v, %v", resp, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the export is no ZIP: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if len(names) != 2 || !strings.HasSuffix(names[0], "laporan.pdf") && !strings.HasSuffix(names[1], "laporan.pdf") {
		t.Errorf("ZIP entries = %v, want Budi's and Rina's latest PDFs", names)
	}
	// The learner sees no flags of her own work.
	var own struct {
		Flags []any `json:"flags"`
	}
	w.must(t, rina, "GET", "/api/v1/assignment-submissions/"+rinaSub.ID, nil, &own, 200)
	if len(own.Flags) != 0 {
		t.Errorf("Rina sees the graders' flags %v", own.Flags)
	}
}

func TestANewDraftOfACourseKeepsItsAssignments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	a := w.assignments(t)
	instructor := w.as[mInstructor]
	var draft idResponse
	w.must(t, instructor, "POST", "/api/v1/courses/"+a.course+"/drafts", nil, &draft, 201)
	var v struct {
		Modules []struct {
			Lessons []struct {
				Items []struct {
					ID   string `json:"id"`
					Kind string `json:"kind"`
				} `json:"items"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	w.must(t, instructor, "GET", "/api/v1/course-versions/"+draft.ID, nil, &v, 200)
	var item string
	for _, m := range v.Modules {
		for _, l := range m.Lessons {
			for _, it := range l.Items {
				if it.Kind == "assignment" {
					item = it.ID
				}
			}
		}
	}
	if item == "" || item == a.item {
		t.Fatalf("the draft's assignment item = %q, want a copy of %s", item, a.item)
	}
	var copied struct {
		VersionID    string `json:"version_id"`
		Instructions string `json:"instructions"`
		AllowText    bool   `json:"allow_text"`
	}
	w.must(t, instructor, "GET", "/api/v1/assignments/"+item, nil, &copied, 200)
	if copied.VersionID != draft.ID || copied.Instructions != textAssignment["instructions"] || !copied.AllowText {
		t.Errorf("the draft's assignment = %+v, want the published one's settings in version %s", copied, draft.ID)
	}
	// The copy changes; the published assignment does not, and may not.
	w.must(t, instructor, "PUT", "/api/v1/assignments/"+item, map[string]any{"max_points": 50}, nil, 200)
	w.must(t, instructor, "PUT", "/api/v1/assignments/"+a.item, map[string]any{"max_points": 50}, nil, 409)
	var published struct {
		MaxPoints float64 `json:"max_points"`
	}
	w.must(t, instructor, "GET", "/api/v1/assignments/"+a.item, nil, &published, 200)
	if published.MaxPoints != 100 {
		t.Errorf("the published assignment is worth %v after its draft changed, want 100", published.MaxPoints)
	}
}

func TestARubricChangedBySomeoneElseFirstIsAFailedPrecondition(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	instructor := w.as[mInstructor]
	var rubric struct {
		ID       string `json:"id"`
		Revision int    `json:"revision"`
	}
	w.must(t, instructor, "POST", "/api/v1/rubrics", serviceRubric(w.bpsdmJabar), &rubric, 201)
	path := "/api/v1/rubrics/" + rubric.ID
	renamed := serviceRubric(w.bpsdmJabar)
	renamed["name"] = "Rubrik Rencana Layanan 2026"
	c := *instructor
	c.t = t
	if got := c.doWith(map[string]string{"If-Match": `"1"`}, "PUT", path, renamed, &rubric); got != 200 || rubric.Revision != 2 {
		t.Fatalf("update at revision 1 = %d, revision %d; want 200 and revision 2", got, rubric.Revision)
	}
	if got := c.doWith(map[string]string{"If-Match": `"1"`}, "PUT", path, renamed, nil); got != 412 {
		t.Errorf("update at the stale revision 1 = %d, want 412", got)
	}
	broken := serviceRubric(w.bpsdmJabar)
	broken["criteria"] = []map[string]any{{"id": "a", "title": "A", "levels": []map[string]any{}}}
	if got := c.do("PUT", path, broken, nil); got != 422 {
		t.Errorf("a criterion without levels = %d, want 422", got)
	}
}
