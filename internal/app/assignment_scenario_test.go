package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/assignment"
)

// newLearner creates a civil servant of Diskominfo Kota Bandung with a
// password, and signs them in.
func (w *world) newLearner(t *testing.T, name string) (*apiClient, string) {
	t.Helper()
	n := w.seq()
	email := fmt.Sprintf("pegawai%d@diskominfo.bandung.go.id", n)
	var u idResponse
	w.must(t, w.as[mAdmin], "POST", "/api/v1/users", map[string]any{"name": name, "email": email,
		"nip": fmt.Sprintf("199602022021012%03d", n%1000), "org_id": w.diskominfo, "password": "Belajar-Terus-2026!"}, &u, 201)
	return login(t, w.srv, email), u.ID
}

// pdf is a small PDF a learner hands in.
func pdf(text string) []byte { return []byte("%PDF-1.4\n% " + text + "\n%%EOF\n") }

type submissionBody struct {
	ID             string  `json:"id"`
	Number         int     `json:"number"`
	Late           bool    `json:"late"`
	DaysLate       int     `json:"days_late"`
	PenaltyPercent float64 `json:"penalty_percent"`
	Files          []struct {
		DownloadURL string `json:"download_url"`
	} `json:"files"`
}

// The whole life of a project assignment, from a group's first hand-in to the
// gradebook completing the class of those who passed.
func TestAGroupAssignmentWithPeerReviewRubricGradingALatePenaltyAndAResubmissionEndsInTheGradebooksCompletion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	instructor, budi := w.as[mInstructor], w.as[mLearner]
	rina := w.fixture.clients["bandung learner colleague"]
	sari, sariID := w.newLearner(t, "Sari Wulandari")
	dedi, dediID := w.newLearner(t, "Dedi Kurniawan")

	// 1. A group assignment graded by rubric, with two peer reviewers weighing 20%.
	var rubric idResponse
	w.must(t, instructor, "POST", "/api/v1/rubrics", serviceRubric(w.bpsdmJabar), &rubric, 201)
	_, version, item := w.publishAssignment(t, "PROYEK-KELOMPOK", map[string]any{
		"instructions": "Rancang digitalisasi satu layanan unit Anda.", "mode": "group", "rubric_id": rubric.ID,
		"file_types": []string{"application/pdf"}, "max_files": 2, "max_file_size": 1 << 20, "allow_text": true, "allow_links": true,
		"max_points": 100, "blind": true, "peer_review": map[string]any{"reviewers": 2, "weight": 20, "deadline_seconds": 3 * 24 * 3600},
	})
	class := w.newAssignmentClass(t, version)
	base := "/api/v1/classes/" + class + "/assignments/" + item
	for _, l := range []*apiClient{budi, rina, sari, dedi} {
		w.must(t, l, "POST", "/api/v1/classes/"+class+"/enrolments", nil, nil, 201)
	}
	w.must(t, instructor, "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(time.Hour),
		"cutoff_at": time.Now().UTC().AddDate(0, 0, 10), "late_policy": "penalty", "penalty_per_day": 10}, nil, 200)

	// 2. Groups: Budi and Rina formed by the instructor; Sari and Dedi sign up.
	w.must(t, instructor, "POST", "/api/v1/classes/"+class+"/assignment-groups", map[string]any{"name": "Tim Perizinan",
		"max_size": 2, "members": []string{w.budi, w.fixture.user["rina@diskominfo.bandung.go.id"]}}, nil, 201)
	var open idResponse
	w.must(t, instructor, "POST", "/api/v1/classes/"+class+"/assignment-groups", map[string]any{"name": "Tim Pengaduan",
		"self_signup": true, "max_size": 2}, &open, 201)
	w.must(t, sari, "POST", "/api/v1/assignment-groups/"+open.ID+"/members", nil, nil, 200)
	w.must(t, dedi, "POST", "/api/v1/assignment-groups/"+open.ID+"/members", nil, nil, 200)

	// 3. Budi hands in a PDF on time; a retry with the same key makes no second version.
	file := uploadFile(t, budi, "assignment_submission", w.diskominfo, "rencana.pdf", "application/pdf", pdf("rencana perizinan"))
	keyed := func(c *apiClient, key string, body any) submissionBody {
		t.Helper()
		cc := *c
		cc.t = t
		var out submissionBody
		if got := cc.doWith(map[string]string{"Idempotency-Key": key}, "POST", base+"/submissions", body, &out); got != 201 && got != 200 {
			t.Fatalf("submit = %d", got)
		}
		return out
	}
	first := keyed(budi, "budi-1", map[string]any{"file_ids": []string{file}})
	again := keyed(budi, "budi-1", map[string]any{"file_ids": []string{file}})
	if first.ID != again.ID || first.Number != 1 || first.Late {
		t.Fatalf("first submit %+v, retried %+v: want one on-time version 1", first, again)
	}
	// Rina resubmits for the group: version 2, on time.
	var groupA submissionBody
	w.must(t, rina, "POST", base+"/submissions", map[string]any{"file_ids": []string{}, "text": "Rencana perizinan daring, versi akhir.",
		"links": []string{"https://perizinan.bandung.go.id/rencana"}}, &groupA, 201)
	if groupA.Number != 2 {
		t.Fatalf("Rina's resubmission is version %d, want 2", groupA.Number)
	}

	// 4. The due date passes (25 hours ago): Sari's group hands in late twice, losing 20%.
	w.must(t, instructor, "PUT", base+"/settings", map[string]any{"due_at": time.Now().UTC().Add(-25 * time.Hour),
		"cutoff_at": time.Now().UTC().AddDate(0, 0, 10), "late_policy": "penalty", "penalty_per_day": 10}, nil, 200)
	w.must(t, sari, "POST", base+"/submissions", map[string]any{"text": "Draf pengaduan."}, nil, 201)
	var groupB submissionBody
	w.must(t, dedi, "POST", base+"/submissions", map[string]any{"text": "Rencana kanal pengaduan terpadu."}, &groupB, 201)
	if !groupB.Late || groupB.DaysLate != 2 || groupB.PenaltyPercent != 20 || groupB.Number != 2 {
		t.Fatalf("the late resubmission = %+v, want version 2, two days late, 20%% penalty", groupB)
	}
	// Budi reads his group's work with a download URL; Sari may not.
	var mine submissionBody
	w.must(t, budi, "GET", "/api/v1/assignment-submissions/"+first.ID, nil, &mine, 200)
	if len(mine.Files) != 1 || mine.Files[0].DownloadURL == "" {
		t.Fatalf("Budi's own submission has no download URL: %+v", mine)
	}
	w.must(t, sari, "GET", "/api/v1/assignment-submissions/"+first.ID, nil, nil, 404)

	// 5. Peer review: each group's work goes to both members of the other group.
	var allocated struct {
		Allocated int `json:"allocated"`
	}
	w.must(t, instructor, "POST", base+"/peer-reviews/allocate", nil, &allocated, 200)
	if allocated.Allocated != 4 {
		t.Fatalf("allocated %d peer reviews, want 4", allocated.Allocated)
	}
	review := func(c *apiClient, levels map[string]string) {
		t.Helper()
		var tasks struct {
			Items []struct {
				ID         string `json:"id"`
				Submission struct {
					OwnerID *string `json:"owner_id"`
				} `json:"submission"`
			} `json:"items"`
		}
		w.must(t, c, "GET", base+"/peer-reviews", nil, &tasks, 200)
		if len(tasks.Items) != 1 || tasks.Items[0].Submission.OwnerID != nil {
			t.Fatalf("peer reviews = %+v, want one, anonymous", tasks.Items)
		}
		w.must(t, c, "PUT", "/api/v1/peer-reviews/"+tasks.Items[0].ID, map[string]any{"levels": levels}, nil, 200)
	}
	review(sari, map[string]string{"analisis": "baik", "solusi": "baik"})
	review(dedi, map[string]string{"analisis": "baik", "solusi": "baik"})
	review(budi, map[string]string{"analisis": "baik", "solusi": "kurang"})   // 60
	review(rina, map[string]string{"analisis": "kurang", "solusi": "kurang"}) // 20

	// 6. Rubric grading, blind; group B's grade moderated by a second grader.
	var queue struct {
		Items []struct {
			ID      string  `json:"id"`
			OwnerID *string `json:"owner_id"`
		} `json:"items"`
	}
	w.must(t, instructor, "GET", base+"/submissions", nil, &queue, 200)
	if len(queue.Items) != 2 || queue.Items[0].OwnerID != nil {
		t.Fatalf("the grader's list = %+v, want the two latest versions without names", queue.Items)
	}
	w.must(t, instructor, "POST", "/api/v1/assignment-submissions/"+groupA.ID+"/grades", map[string]any{
		"levels": map[string]string{"analisis": "baik", "solusi": "baik"}, "feedback": "Rencana matang."}, nil, 200)
	w.must(t, instructor, "POST", "/api/v1/assignment-submissions/"+groupB.ID+"/grades", map[string]any{
		"levels": map[string]string{"analisis": "baik", "solusi": "kurang"}, "feedback": "Solusi belum rinci."}, nil, 200)
	w.must(t, w.as[mOrgAdmin], "POST", "/api/v1/assignment-submissions/"+groupB.ID+"/grades", map[string]any{
		"role": "second", "levels": map[string]string{"analisis": "baik", "solusi": "kurang"}}, nil, 200)

	// 7. Release: group A 100; group B (0.8×60 + 0.2×40) less 20% = 44.8.
	var sum map[string]int
	w.must(t, instructor, "POST", base+"/release", nil, &sum, 200)
	if sum["released"] != 2 {
		t.Fatalf("release = %v, want 2 released", sum)
	}
	var result struct {
		Released bool    `json:"released"`
		Points   float64 `json:"points"`
		Feedback string  `json:"feedback"`
	}
	w.must(t, dedi, "GET", base+"/result", nil, &result, 200)
	if !result.Released || math.Abs(result.Points-44.8) > 1e-9 || result.Feedback != "Solusi belum rinci." {
		t.Fatalf("Dedi's result = %+v, want 44.8 released with the feedback", result)
	}
	w.must(t, instructor, "POST", base+"/release", nil, &sum, 200)
	if sum["released"] != 0 || sum["unchanged"] != 2 {
		t.Fatalf("a second release = %v, want nothing changed", sum)
	}

	// 8. One assignment:graded per learner; an agreed change of a released
	// grade records it again for the group's members.
	graded := func() []assignment.GradedPayload {
		t.Helper()
		var payloads [][]byte
		if err := w.srv.Deps.DB.Conn(ctx).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY created_at, id",
			assignment.TypeGraded).Scan(&payloads).Error; err != nil {
			t.Fatal(err)
		}
		out := make([]assignment.GradedPayload, 0, len(payloads))
		for _, p := range payloads {
			var e assignment.GradedPayload
			if err := json.Unmarshal(p, &e); err != nil {
				t.Fatal(err)
			}
			if e.ClassID.String() != class || e.AssignmentID.String() != item || e.MaxPoints != 100 {
				t.Errorf("event %+v names another class, item or maximum", e)
			}
			out = append(out, e)
		}
		return out
	}
	want := map[string]float64{w.budi: 100, w.fixture.user["rina@diskominfo.bandung.go.id"]: 100, sariID: 44.8, dediID: 44.8}
	events := graded()
	if len(events) != len(want) {
		t.Fatalf("assignment:graded events = %+v, want one per learner", events)
	}
	for _, e := range events {
		if p, ok := want[e.UserID.String()]; !ok || math.Abs(p-e.Points) > 1e-9 {
			t.Errorf("assignment:graded for %s = %v points, want %v", e.UserID, e.Points, p)
		}
		delete(want, e.UserID.String())
	}
	w.must(t, instructor, "POST", "/api/v1/assignment-submissions/"+groupB.ID+"/grades", map[string]any{
		"role": "agreed", "levels": map[string]string{"analisis": "baik", "solusi": "baik"}}, nil, 200)
	w.must(t, dedi, "GET", base+"/result", nil, &result, 200)
	// (0.8×100 + 0.2×40) less 20% = 70.4
	if math.Abs(result.Points-70.4) > 1e-9 {
		t.Fatalf("Dedi's result after the agreed grade = %v, want 70.4", result.Points)
	}
	events = graded()
	if len(events) != 6 || events[4].Points != 70.4 || events[5].Points != 70.4 {
		t.Fatalf("assignment:graded events after the change = %+v, want two more at 70.4", events)
	}

	// 4. The gradebook decides completion and training hours: with a pass mark
	// of 80, the group graded 100 completes the class and earns its 4 JP, the
	// group at 70.4 stays enrolled.
	w.must(t, instructor, "PUT", "/api/v1/classes/"+class+"/gradebook/settings", map[string]any{"pass_mark": 80, "categories": []map[string]any{
		{"key": "proyek", "name": "Proyek", "weight": 100, "items": []string{item}},
	}}, nil, 200)
	workerCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = w.srv.App.RunWorker(workerCtx) }()
	t.Cleanup(func() { stop(); <-done })
	statusIn := func(l *apiClient) string {
		var mine struct {
			Items []struct {
				ClassID string `json:"class_id"`
				Status  string `json:"status"`
			} `json:"items"`
		}
		w.must(t, l, "GET", "/api/v1/me/enrolments", nil, &mine, 200)
		for _, e := range mine.Items {
			if e.ClassID == class {
				return e.Status
			}
		}
		return ""
	}
	for deadline := time.Now().Add(30 * time.Second); statusIn(budi) != "completed" || statusIn(rina) != "completed"; {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the release: Budi %q, Rina %q, want both completed by the gradebook", statusIn(budi), statusIn(rina))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var jp struct {
		JP float64 `json:"jp"`
	}
	w.must(t, budi, "GET", "/api/v1/me/jp", nil, &jp, 200)
	if jp.JP < 4 {
		t.Errorf("Budi's JP this year = %v, want the class's 4 among them", jp.JP)
	}
	for _, l := range []*apiClient{sari, dedi} {
		if s := statusIn(l); s != "active" {
			t.Errorf("a learner graded 70.4 against a pass mark of 80 is %q, want active", s)
		}
	}
}
