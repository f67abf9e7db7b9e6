package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/gradebook"
	"github.com/corpu/corpu/internal/platform/queue"
)

// mp4Bytes starts like an MP4 file, which is what the upload check sniffs.
var mp4Bytes = append([]byte{0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'm', 'p', '4', '2', 0, 0, 0, 0, 'm', 'p', '4', '2', 'i', 's', 'o', 'm'},
	bytes.Repeat([]byte{0}, 4096)...)

type idResponse struct {
	ID string `json:"id"`
}

// uploadFile runs the presigned upload flow and returns the file id.
func uploadFile(t *testing.T, c *apiClient, purpose, orgID, name, contentType string, body []byte) string {
	t.Helper()
	var pending struct {
		UploadID string            `json:"upload_id"`
		URL      string            `json:"url"`
		Method   string            `json:"method"`
		Headers  map[string]string `json:"headers"`
	}
	if s := c.do("POST", "/api/v1/uploads", map[string]any{"purpose": purpose, "filename": name,
		"content_type": contentType, "size": len(body), "org_id": orgID}, &pending); s != http.StatusCreated {
		t.Fatalf("create upload = %d", s)
	}
	req, _ := http.NewRequest(pending.Method, pending.URL, bytes.NewReader(body))
	for k, v := range pending.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT to the presigned URL = %v, %v", resp, err)
	}
	resp.Body.Close()
	sum := sha256.Sum256(body)
	var file struct {
		FileID string `json:"file_id"`
	}
	if s := c.do("POST", "/api/v1/uploads/"+pending.UploadID+"/complete", map[string]string{"sha256": hex.EncodeToString(sum[:])}, &file); s != http.StatusOK {
		t.Fatalf("complete upload = %d", s)
	}
	return file.FileID
}

// TestABlendedCourseFromAuthoringToTrainingHours walks the whole delivery of
// a blended course against the real services: an instructor of the national
// institute builds it, a reviewer publishes it, a regional institute opens a
// class, a supervisor assigns two learners, they learn online and check in to
// the face-to-face session, and their completion and JP are recorded.
func TestABlendedCourseFromAuthoringToTrainingHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	author := f.clients["national instructor"]
	reviewer := f.clients["national reviewer"]
	regional := login(t, f.srv, "instruktur@bpsdm.jabarprov.go.id")
	supervisor := f.clients["bandung supervisor"]
	budi, rina := f.clients["bandung learner"], f.clients["bandung learner colleague"]
	stranger := f.clients["sidoarjo learner (jatim)"]

	// 1. The instructor builds a blended course with a video, a text and a live session.
	var course struct {
		ID          string     `json:"id"`
		OpenVersion idResponse `json:"open_version"`
	}
	if s := author.do("POST", "/api/v1/courses", map[string]any{
		"org_id": f.org["BPSDM-KEMENDAGRI"], "code": "SIBER-01", "sharing": "national",
		"title": "Keamanan Siber bagi ASN", "summary": "Menjaga data dan layanan pemerintah dari serangan siber.",
		"language": "id", "objectives": []string{"Memahami SPBE", "Menggunakan layanan digital pemerintah dengan aman"},
		"competency_tags": []string{"literasi-digital", "spbe"}, "delivery_mode": "blended", "jp_credit": 8, "level": "basic",
	}, &course); s != http.StatusCreated {
		t.Fatalf("create course = %d", s)
	}
	version := course.OpenVersion.ID
	videoFile := uploadFile(t, author, "course_video", f.org["BPSDM-KEMENDAGRI"], "pengantar.mp4", "video/mp4", mp4Bytes)
	var module, lesson idResponse
	if s := author.do("POST", "/api/v1/course-versions/"+version+"/modules", map[string]any{"title": "Pengantar SPBE"}, &module); s != http.StatusCreated {
		t.Fatalf("add module = %d", s)
	}
	if s := author.do("POST", "/api/v1/modules/"+module.ID+"/lessons", map[string]any{"title": "Mengapa digital?"}, &lesson); s != http.StatusCreated {
		t.Fatalf("add lesson = %d", s)
	}
	var video, text, live idResponse
	for _, it := range []struct {
		body map[string]any
		out  *idResponse
	}{
		{map[string]any{"kind": "video", "title": "Video pengantar", "required": true, "estimated_minutes": 15, "file_id": videoFile}, &video},
		{map[string]any{"kind": "text", "title": "Bacaan", "required": true, "body": "<p>SPBE adalah <b>sistem</b></p><script>alert(1)</script>"}, &text},
		{map[string]any{"kind": "live_session", "title": "Tatap muka", "required": true, "estimated_minutes": 120}, &live},
	} {
		if s := author.do("POST", "/api/v1/lessons/"+lesson.ID+"/items", it.body, it.out); s != http.StatusCreated {
			t.Fatalf("add %s item = %d", it.body["kind"], s)
		}
	}

	// 2. Publishing needs review: the author cannot review, the reviewer approves.
	if s := author.do("POST", "/api/v1/course-versions/"+version+"/submit", nil, nil); s != http.StatusOK {
		t.Fatalf("submit = %d", s)
	}
	approve := map[string]any{"decision": "approve", "comments": "Sesuai standar kurikulum.",
		"checklist": map[string]bool{"objectives": true, "assessment": true, "jp": true, "accessibility": true}}
	if s := author.do("POST", "/api/v1/course-versions/"+version+"/reviews", approve, nil); s != http.StatusForbidden {
		t.Errorf("review by the author = %d, want 403", s)
	}
	if s := reviewer.do("POST", "/api/v1/course-versions/"+version+"/reviews", approve, nil); s != http.StatusOK && s != http.StatusCreated {
		t.Fatalf("review by the reviewer = %d", s)
	}
	if s := author.do("PATCH", "/api/v1/course-versions/"+version, map[string]any{"title": "Diubah"}, nil); s != http.StatusConflict && s != http.StatusPreconditionFailed {
		t.Errorf("edit a published version = %d, want 409", s)
	}
	var catalogue struct {
		Items []struct {
			CourseID string `json:"course_id"`
		} `json:"items"`
	}
	if s := stranger.do("GET", "/api/v1/catalogue?q=siber", nil, &catalogue); s != http.StatusOK || len(catalogue.Items) != 1 {
		t.Errorf("catalogue search from Jawa Timur = %d with %d courses, want the nationally shared course", s, len(catalogue.Items))
	}

	// 3. The regional institute of Jawa Barat opens an assigned-only class with a session now.
	now := time.Now().UTC()
	wib := time.FixedZone("WIB", 7*3600)
	var class idResponse
	if s := regional.do("POST", "/api/v1/classes", map[string]any{
		"version_id": version, "org_id": f.org["BPSDM-JABAR"], "code": "SIBER-JABAR-01",
		"starts_on": now.In(wib).AddDate(0, 0, -1).Format("2006-01-02"), "ends_on": now.In(wib).AddDate(0, 0, 30).Format("2006-01-02"),
		"capacity": 30, "policy": "assigned", "region_code": "32", "attendance_threshold": 0.8,
	}, &class); s != http.StatusCreated {
		t.Fatalf("open class = %d", s)
	}
	var session idResponse
	if s := regional.do("POST", "/api/v1/classes/"+class.ID+"/sessions", map[string]any{
		"kind": "in_person", "title": "Tatap muka I", "starts_at": now.Add(-10 * time.Minute), "ends_at": now.Add(50 * time.Minute),
		"venue": "Aula BPSDM Jawa Barat", "address": "Jl. Windu No. 26, Bandung",
	}, &session); s != http.StatusCreated {
		t.Fatalf("schedule session = %d", s)
	}

	// 4. The supervisor assigns both learners; a learner cannot enrol themselves.
	if s := stranger.do("POST", "/api/v1/classes/"+class.ID+"/enrolments", nil, nil); s != http.StatusConflict && s != http.StatusNotFound {
		t.Errorf("self-enrolment in an assigned-only class = %d, want 409 or 404", s)
	}
	var assigned struct {
		Assigned []struct{ UserID string } `json:"assigned"`
	}
	if s := supervisor.do("POST", "/api/v1/classes/"+class.ID+"/enrolments/bulk", map[string]any{
		"user_ids": []string{f.user["budi@diskominfo.bandung.go.id"], f.user["rina@diskominfo.bandung.go.id"]},
	}, &assigned); s != http.StatusOK || len(assigned.Assigned) != 2 {
		t.Fatalf("assign learners = %d with %d assigned, want 200 with 2", s, len(assigned.Assigned))
	}

	// 5. The learners learn online, the stranger cannot reach the media, and both check in.
	// The course is national, so the stranger sees it, but only its learners get its files.
	if s := stranger.do("GET", "/api/v1/items/"+video.ID+"/media", nil, nil); s != http.StatusForbidden {
		t.Errorf("media for a learner who is not enrolled = %d, want 403", s)
	}
	var code struct {
		Code string `json:"code"`
	}
	if s := regional.do("GET", "/api/v1/sessions/"+session.ID+"/check-in-code", nil, &code); s != http.StatusOK || len(code.Code) != 6 {
		t.Fatalf("check-in code = %d %q", s, code.Code)
	}
	for name, learner := range map[string]*apiClient{"budi": budi, "rina": rina} {
		var mine struct {
			Items []idResponse `json:"items"`
		}
		if s := learner.do("GET", "/api/v1/me/enrolments", nil, &mine); s != http.StatusOK || len(mine.Items) != 1 {
			t.Fatalf("%s's enrolments = %d, %d items", name, s, len(mine.Items))
		}
		enrolment := mine.Items[0].ID
		var media struct {
			URL string `json:"url"`
		}
		if s := learner.do("GET", "/api/v1/items/"+video.ID+"/media", nil, &media); s != http.StatusOK {
			t.Fatalf("%s media = %d", name, s)
		}
		resp, err := http.Get(media.URL)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.Equal(got, mp4Bytes) {
			t.Errorf("%s downloaded %d bytes, want the uploaded video", name, len(got))
		}
		progress := "/api/v1/enrolments/" + enrolment + "/progress"
		if s := learner.do("POST", progress, map[string]any{"item_id": video.ID, "event": "video_watched", "watched_ratio": 0.95}, nil); s != http.StatusOK {
			t.Fatalf("%s video progress = %d", name, s)
		}
		if s := learner.do("POST", progress, map[string]any{"item_id": text.ID, "event": "viewed"}, nil); s != http.StatusOK {
			t.Fatalf("%s text progress = %d", name, s)
		}
		if s := learner.do("POST", "/api/v1/sessions/"+session.ID+"/check-in", map[string]string{"code": "000000"}, nil); s != http.StatusUnprocessableEntity && code.Code != "000000" {
			t.Errorf("%s check-in with a wrong code = %d, want 422", name, s)
		}
		if s := learner.do("POST", "/api/v1/sessions/"+session.ID+"/check-in", map[string]string{"code": code.Code}, nil); s != http.StatusCreated {
			t.Fatalf("%s check-in = %d", name, s)
		}

		// 6. Completion and training hours are recorded.
		var state struct {
			Enrolment struct {
				Status      string  `json:"status"`
				CompletedAt *string `json:"completed_at"`
			} `json:"enrolment"`
		}
		if s := learner.do("GET", progress, nil, &state); s != http.StatusOK || state.Enrolment.Status != "completed" || state.Enrolment.CompletedAt == nil {
			t.Errorf("%s enrolment = %d %+v, want completed with a date", name, s, state.Enrolment)
		}
		var jp struct {
			JP float64 `json:"jp"`
		}
		if s := learner.do("GET", "/api/v1/me/jp", nil, &jp); s != http.StatusOK || jp.JP != 8 {
			t.Errorf("%s JP this year = %d %v, want 8", name, s, jp.JP)
		}
	}

	// 7. Each completion left an event in the outbox; the relay hands Redis one
	// task per consumer (today the congratulation mail), and the worker mails
	// each learner once and records it. Each check-in left the learner's
	// attendance for the gradebook too.
	ctx := context.Background()
	if _, err := f.srv.App.Relay().RelayOnce(ctx); err != nil {
		t.Fatalf("relay: %v", err)
	}
	tasks, err := asynq.NewInspectorFromRedisClient(f.srv.Deps.Redis).ListPendingTasks(f.srv.Deps.Queues.Of(queue.Default))
	mailTask := delivery.TypeEnrolmentCompleted + "@" + delivery.ConsumerCompletionMail
	attendanceTask := delivery.TypeAttendanceChanged + "@" + gradebook.ConsumerAttendance
	// The demo data holds a completion of its own (the demo certificate's): count this class's.
	kinds := map[string]int{}
	for _, task := range tasks {
		var p struct {
			ClassID string `json:"class_id"`
		}
		if json.Unmarshal(task.Payload, &p) == nil && p.ClassID == class.ID {
			kinds[task.Type]++
		}
	}
	if err != nil || kinds[mailTask] != 2 || kinds[attendanceTask] != 2 {
		t.Fatalf("this class's tasks waiting in the default queue = %v, %v; want the two completion mails (%s) and two attendance changes (%s)", kinds, err, mailTask, attendanceTask)
	}
	worker, err := f.srv.App.Worker()
	if err != nil {
		t.Fatal(err)
	}
	workerCtx, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = worker.Run(workerCtx) }()
	t.Cleanup(func() { stop(); <-stopped }) // before Redis closes
	deadline := time.Now().Add(15 * time.Second)
	for {
		var notified, done int
		db := f.srv.Deps.DB.Conn(ctx)
		db.Raw("SELECT count(*) FROM enrolments WHERE class_id = ? AND completion_notified_at IS NOT NULL", class.ID).Scan(&notified)
		db.Raw(`SELECT count(*) FROM outbox_deliveries d JOIN outbox o ON o.id = d.event_id
			WHERE d.consumer = ? AND d.done_at IS NOT NULL AND convert_from(o.payload, 'UTF8')::jsonb->>'class_id' = ?`,
			delivery.ConsumerCompletionMail, class.ID).Scan(&done)
		if notified == 2 && done == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 15 s, %d learners were told of their completion and %d mail deliveries done; want 2 and 2", notified, done)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
