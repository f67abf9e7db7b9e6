package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/mail"
)

func TestItemsCompleteOnlyByTheirOwnEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemVideo, ItemText, ItemQuiz)
	video, text, quiz := v.Items[0], v.Items[1], v.Items[2]
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	ratio := func(r float64) *float64 { return &r }

	tests := []struct {
		name     string
		in       ProgressInput
		wantErr  apperr.Kind
		wantDone map[uuid.UUID]bool
	}{
		{"a video watched below 0.9 does not complete", ProgressInput{ItemID: video.ID, Event: EventVideoWatched, WatchedRatio: ratio(0.5)}, 0,
			map[uuid.UUID]bool{video.ID: false}},
		{"viewing a video does not complete it", ProgressInput{ItemID: video.ID, Event: EventViewed}, 0, map[uuid.UUID]bool{video.ID: false}},
		{"a quiz cannot be completed by the learner", ProgressInput{ItemID: quiz.ID, Event: EventViewed}, 0, map[uuid.UUID]bool{quiz.ID: false}},
		{"video_watched on a text is refused", ProgressInput{ItemID: text.ID, Event: EventVideoWatched, WatchedRatio: ratio(1)}, apperr.KindInvalid, nil},
		{"a ratio above 1 is refused", ProgressInput{ItemID: video.ID, Event: EventVideoWatched, WatchedRatio: ratio(1.5)}, apperr.KindInvalid, nil},
		{"an item of another course is refused", ProgressInput{ItemID: uuid.New(), Event: EventViewed}, apperr.KindInvalid, nil},
		{"quiz_passed is not the learner's to report", ProgressInput{ItemID: quiz.ID, Event: EventQuizPassed}, apperr.KindInvalid, nil},
		{"a video watched to 0.9 completes", ProgressInput{ItemID: video.ID, Event: EventVideoWatched, WatchedRatio: ratio(0.9)}, 0,
			map[uuid.UUID]bool{video.ID: true}},
		{"viewing a text completes it", ProgressInput{ItemID: text.ID, Event: EventViewed}, 0, map[uuid.UUID]bool{text.ID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := w.svc.RecordProgress(w.as(l), e.ID, tt.in)
			if tt.wantErr != 0 {
				if apperr.KindOf(err) != tt.wantErr {
					t.Errorf("RecordProgress = %v, want kind %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("RecordProgress = %v", err)
			}
			for _, it := range p.Items {
				if want, ok := tt.wantDone[it.ItemID]; ok && (it.CompletedAt != nil) != want {
					t.Errorf("item %s completed = %v, want %v", it.Kind, it.CompletedAt != nil, want)
				}
			}
		})
	}
	if p, err := w.svc.Progress(w.as(l), e.ID); err != nil || p.RequiredDone != 2 || p.Enrolment.Status != EnrolmentActive {
		t.Errorf("Progress = %d of %d, %s, %v; want 2 of 3 done and still active", p.RequiredDone, p.RequiredTotal, p.Enrolment.Status, err)
	}
	if _, err := w.svc.RecordProgress(w.as(w.person(w.unitA, nil)), e.ID, ProgressInput{ItemID: text.ID, Event: EventViewed}); !errors.Is(err, ErrEnrolmentNotFound) {
		t.Errorf("RecordProgress by another learner = %v, want not found", err)
	}
}

func TestItemsNotReleasedYetAreRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemText, ItemText)
	later := start.Add(48 * time.Hour)
	v.Items[1].ReleaseAt = &later
	v.Items[2].ReleaseAfterItemID = &v.Items[0].ID
	w.publish(v)
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	srv := w.server()
	post := func(item uuid.UUID) response {
		return w.do(srv, l, http.MethodPost, "/api/v1/enrolments/"+e.ID.String()+"/progress", "application/json",
			`{"item_id":"`+item.String()+`","event":"viewed"}`)
	}

	if r := post(v.Items[1].ID); r.status != http.StatusConflict || problem(t, r).Type != "urn:corpu:problem:delivery.item_not_released" {
		t.Errorf("progress on an item released later = %d %s, want 409 item_not_released", r.status, r.body)
	}
	if r := post(v.Items[2].ID); r.status != http.StatusConflict {
		t.Errorf("progress on an item released after another = %d %s, want 409", r.status, r.body)
	}
	if got := w.count("progress_events", "enrolment_id = ?", e.ID); got != 0 {
		t.Errorf("progress events after refusals = %d, want 0", got)
	}
	if r := post(v.Items[0].ID); r.status != http.StatusOK {
		t.Fatalf("progress on the first item = %d %s", r.status, r.body)
	}
	if r := post(v.Items[2].ID); r.status != http.StatusOK {
		t.Errorf("progress on the item after the first is completed = %d %s, want 200", r.status, r.body)
	}
	w.clock.Set(later)
	if r := post(v.Items[1].ID); r.status != http.StatusOK {
		t.Errorf("progress on the dated item once released = %d %s, want 200", r.status, r.body)
	}
	var p progressResponse
	w.do(srv, l, http.MethodGet, "/api/v1/enrolments/"+e.ID.String()+"/progress", "", "").decode(t, &p)
	if p.Enrolment.Status != EnrolmentCompleted || p.RequiredDone != 3 {
		t.Errorf("progress = %+v, want completed with 3 items done", p)
	}
}

func TestCompletionCreditsJPExactlyOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	quiz := v.Items[2]

	w.complete(l, e, v)
	got := w.enrolment(e.ID)
	if got.Status != EnrolmentCompleted || got.CompletedAt == nil || got.Progress != 1 {
		t.Fatalf("enrolment after every item = %s at %v progress %v, want completed with a date", got.Status, got.CompletedAt, got.Progress)
	}

	// Replays of the completing event, in sequence and at once, change nothing.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.svc.RecordOutcome(context.Background(), e.ID, quiz.ID, EventQuizPassed); err != nil {
				t.Errorf("RecordOutcome(replay) = %v", err)
			}
		}()
	}
	wg.Wait()
	w.complete(l, e, v)

	ledger, err := w.svc.MyJP(w.as(l), 2026)
	if err != nil {
		t.Fatal(err)
	}
	if ledger.JP != 12.5 || len(ledger.Credits) != 1 || ledger.Credits[0].EnrolmentID != e.ID {
		t.Errorf("MyJP(2026) = %+v, want 12.5 JP from one credit", ledger)
	}
	if n := w.count("outbox", "task_type = ?", TypeEnrolmentCompleted); n != 1 {
		t.Errorf("completion jobs in the outbox = %d, want 1", n)
	}
	var row struct{ Payload []byte }
	if err := w.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ?", TypeEnrolmentCompleted).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	var job EnrolmentCompletedPayload
	if err := json.Unmarshal(row.Payload, &job); err != nil || job != (EnrolmentCompletedPayload{EnrolmentID: e.ID, UserID: l.UserID, ClassID: c.ID, VersionID: v.VersionID}) {
		t.Errorf("completion job payload = %s (%v), want the enrolment, learner, class and version", row.Payload, err)
	}
	if n := w.count("audit_log", "action = 'enrolment.complete'"); n != 1 {
		t.Errorf("completion audit entries = %d, want 1", n)
	}

	t.Run("a second course in the same year adds to the ledger", func(t *testing.T) {
		v2 := w.version(ItemText)
		e2 := w.enrol(l, w.classOf(v2))
		w.complete(l, e2, v2)
		r := w.do(w.server(), l, http.MethodGet, "/api/v1/me/jp?year=2026", "", "")
		var jp jpResponse
		r.decode(t, &jp)
		if jp.JP != 25 || len(jp.Credits) != 2 {
			t.Errorf("GET /me/jp = %s, want 25 JP from two credits", r.body)
		}
	})
}

func TestAttendanceBelowTheThresholdHoldsCompletionBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version(ItemText, ItemLiveSession)
	c := w.classOf(v, withThreshold(0.5))
	first := w.session(c, 2*time.Hour, time.Hour)
	w.session(c, 26*time.Hour, time.Hour)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	w.complete(l, e, v)
	if got := w.enrolment(e.ID).Status; got != EnrolmentActive {
		t.Fatalf("enrolment with every item but no attendance = %s, want active", got)
	}
	if _, err := w.svc.RollCall(w.as(w.manager), first.ID, []RollCallRecord{{UserID: l.UserID, Status: AttendanceAbsent}}); err != nil {
		t.Fatal(err)
	}
	if got := w.enrolment(e.ID).Status; got != EnrolmentActive {
		t.Errorf("enrolment with 0 of 2 sessions attended = %s, want active", got)
	}
	if _, err := w.svc.RollCall(w.as(w.manager), first.ID, []RollCallRecord{{UserID: l.UserID, Status: AttendancePresent}}); err != nil {
		t.Fatal(err)
	}
	got := w.enrolment(e.ID)
	if got.Status != EnrolmentCompleted {
		t.Errorf("enrolment with 1 of 2 sessions attended at a 0.5 threshold = %s, want completed", got.Status)
	}
	p, err := w.svc.Progress(w.as(l), e.ID)
	if err != nil || p.SessionsAttended != 1 || p.SessionsTotal != 2 || p.Items[1].CompletedAt == nil {
		t.Errorf("Progress = %+v, %v; want 1 of 2 sessions and the live session item completed", p, err)
	}
}

func TestLearningPathEnrolsCourseAfterCourse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// The first course ends with a quiz, whose outcome arrives from a task
	// with nobody signed in: that completion must still enrol the learner
	// in the next course. The third course needs only the first.
	v1, v2, v3 := w.version(ItemText, ItemQuiz), w.version(ItemText), w.version(ItemText)
	path := uuid.Must(uuid.NewV7())
	steps := []PathStep{
		{CourseID: v1.CourseID, Position: 1},
		{CourseID: v2.CourseID, Position: 2},
		{CourseID: v3.CourseID, Position: 3, Prerequisites: []uuid.UUID{v1.CourseID}},
	}
	w.cat.mu.Lock()
	w.cat.paths[path] = steps
	w.cat.mu.Unlock()
	full := w.classOf(v1, withCapacity(1, false))
	w.enrol(w.person(w.unitB, nil), full) // the earliest class is full: the path must skip it
	c1 := w.classOf(v1, func(in *ClassInput) { in.StartsOn = in.StartsOn.AddDate(0, 0, 1) })
	c2 := w.classOf(v2)
	l := w.person(w.unitA, nil)
	srv := w.server()
	state := func() PathEnrolment {
		t.Helper()
		pe, err := w.svc.pathState(context.Background(), path, l.UserID, steps)
		if err != nil {
			t.Fatal(err)
		}
		return pe
	}
	statuses := func(pe PathEnrolment) []StepStatus {
		var out []StepStatus
		for _, st := range pe.Steps {
			out = append(out, st.Status)
		}
		return out
	}

	r := w.do(srv, l, http.MethodPost, "/api/v1/learning-paths/"+path.String()+"/enrolments", "", "")
	if r.status != http.StatusCreated {
		t.Fatalf("POST path enrolment = %d %s, want 201", r.status, r.body)
	}
	var pe pathEnrolmentResponse
	r.decode(t, &pe)
	if pe.CurrentPosition != 1 || pe.Steps[0].Status != StepEnrolled || pe.Steps[1].Status != StepLocked ||
		pe.Steps[2].Status != StepLocked || pe.Steps[0].EnrolmentID == nil {
		t.Fatalf("path enrolment = %+v, want the first step enrolled and the rest locked", pe)
	}
	e1 := w.enrolment(*pe.Steps[0].EnrolmentID)
	if e1.ClassID != c1.ID || e1.Source != SourcePath || e1.PathEnrolmentID == nil || *e1.PathEnrolmentID != pe.ID {
		t.Fatalf("first step enrolment in class %s from %s, want the open class %s from the path", e1.ClassID, e1.Source, c1.ID)
	}
	if again := w.do(srv, l, http.MethodPost, "/api/v1/learning-paths/"+path.String()+"/enrolments", "", ""); again.status != http.StatusOK {
		t.Errorf("POST path enrolment again = %d, want 200", again.status)
	}

	w.complete(l, e1, v1)
	got := state()
	if want := []StepStatus{StepCompleted, StepEnrolled, StepUnlocked}; !slices.Equal(statuses(got), want) || got.CurrentPosition != 2 {
		t.Fatalf("path after the first course = %v at %d, want %v at 2: the second enrolled, the third (no class yet) unlocked",
			statuses(got), got.CurrentPosition, want)
	}
	e2 := w.enrolment(*got.Steps[1].EnrolmentID)
	if e2.ClassID != c2.ID || e2.Status != EnrolmentActive {
		t.Errorf("second step enrolment = %s in %s, want active in %s", e2.Status, e2.ClassID, c2.ID)
	}

	// A class of the third course opens later; joining it fills the step.
	e3 := w.enrol(l, w.classOf(v3))
	if got := state(); got.Steps[2].Status != StepEnrolled || *got.Steps[2].EnrolmentID != e3.ID {
		t.Fatalf("path after joining a class of the third course = %+v, want it enrolled", got)
	}
	w.complete(l, e3, v3)
	w.complete(l, e2, v2)
	if got := state(); got.Status != "completed" || got.CompletedAt == nil || !slices.Equal(statuses(got),
		[]StepStatus{StepCompleted, StepCompleted, StepCompleted}) {
		t.Errorf("path after every course = %+v, want completed", got)
	}
	if ledger, _ := w.svc.MyJP(w.as(l), 2026); ledger.JP != 37.5 || len(ledger.Credits) != 3 {
		t.Errorf("JP after three courses = %v from %d credits, want 37.5 from 3", ledger.JP, len(ledger.Credits))
	}
}

func TestUnknownPathIsNotFound(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if _, _, err := w.svc.EnrolInPath(w.as(w.person(w.unitA, nil)), uuid.New()); !errors.Is(err, ErrPathNotFound) {
		t.Errorf("EnrolInPath(unknown) = %v, want %v", err, ErrPathNotFound)
	}
}

func TestClassesAreOpenedAndChangedByTheirInstitute(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	outsider := w.person(w.unitA, nil)
	w.grant(outsider, authz.RoleInstructor, w.unitA)
	srv := w.server()
	body := `{"version_id":"` + v.VersionID.String() + `","org_id":"` + w.institute.String() + `","code":"LD-2026-01",` +
		`"starts_on":"2026-03-01","ends_on":"2026-03-31","capacity":2,"policy":"open","region_code":"32.73"}`

	if r := w.do(srv, outsider, http.MethodPost, "/api/v1/classes", "application/json", body); r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST classes at an institute the caller does not manage = %d %s, want 422", r.status, r.body)
	}
	r := w.do(srv, w.manager, http.MethodPost, "/api/v1/classes", "application/json", body)
	if r.status != http.StatusCreated {
		t.Fatalf("POST classes = %d %s, want 201", r.status, r.body)
	}
	var c classResponse
	r.decode(t, &c)
	if c.Title != v.Title || c.JPCredit != 12.5 || c.AttendanceThreshold != DefaultAttendanceThreshold || c.StartsOn != "2026-03-01" {
		t.Errorf("class = %+v, want the version's title and JP and the default threshold", c)
	}
	if r := w.do(srv, w.manager, http.MethodPost, "/api/v1/classes", "application/json", body); r.status != http.StatusConflict {
		t.Errorf("POST classes with a code in use = %d, want 409", r.status)
	}
	bad := `{"version_id":"` + uuid.NewString() + `","org_id":"` + w.institute.String() + `","code":"X","starts_on":"2026-03-31","ends_on":"2026-03-01","capacity":0,"policy":"sometimes"}`
	if r := w.do(srv, w.manager, http.MethodPost, "/api/v1/classes", "application/json", bad); r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST classes with an unpublished version = %d, want 422", r.status)
	}
	archived := w.version()
	archived.Archived = true
	w.publish(archived)
	old := `{"version_id":"` + archived.VersionID.String() + `","org_id":"` + w.institute.String() + `","code":"LD-OLD",` +
		`"starts_on":"2026-03-01","ends_on":"2026-03-31","capacity":2,"policy":"open"}`
	if r := w.do(srv, w.manager, http.MethodPost, "/api/v1/classes", "application/json", old); r.status != http.StatusUnprocessableEntity {
		t.Errorf("POST classes with an archived version = %d, want 422", r.status)
	}

	classPath := "/api/v1/classes/" + c.ID.String()
	learners := []Learner{w.person(w.unitA, nil), w.person(w.unitA, nil)}
	for _, l := range learners {
		w.enrol(l, Class{ID: c.ID})
	}
	if r := w.do(srv, w.manager, http.MethodPatch, classPath, "application/json", `{"capacity":1}`); r.status != http.StatusConflict {
		t.Errorf("PATCH capacity below the seats taken = %d, want 409", r.status)
	}
	if r := w.do(srv, learners[0], http.MethodPatch, classPath, "application/json", `{"capacity":5}`); r.status != http.StatusForbidden {
		t.Errorf("PATCH by a learner = %d, want 403", r.status)
	}
	r = w.do(srv, w.manager, http.MethodPatch, classPath, "application/json", `{"capacity":5,"waitlist":true,"enrol_closes_at":"2026-03-10T00:00:00Z"}`)
	r.decode(t, &c)
	if r.status != http.StatusOK || c.Capacity != 5 || !c.Waitlist || c.SeatsTaken != 2 || c.EnrolClosesAt == nil {
		t.Errorf("PATCH class = %d %s, want capacity 5 with a wait list and 2 seats taken", r.status, r.body)
	}
	r = w.do(srv, w.manager, http.MethodPatch, classPath, "application/json", `{"enrol_closes_at":null}`)
	r.decode(t, &c)
	if c.EnrolClosesAt != nil {
		t.Errorf("PATCH enrol_closes_at null = %s, want it cleared", r.body)
	}
}

// sentMail records what the completion notice hands to the mail sender.
type sentMail struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (s *sentMail) Send(_ context.Context, m mail.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, m)
	return nil
}

func TestTheLearnerIsToldOfACompletionOnceHoweverOftenTheTaskArrives(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	c := w.classOf(v)
	l := w.person(w.unitA, nil)
	e := w.enrol(l, c)
	w.complete(l, e, v)

	var outbox struct{ Payload []byte }
	if err := w.db.Conn(context.Background()).Raw("SELECT payload FROM outbox WHERE task_type = ?", TypeEnrolmentCompleted).Scan(&outbox).Error; err != nil {
		t.Fatal(err)
	}
	sender := &sentMail{}
	handle := w.svc.HandleEnrolmentCompleted(sender)
	for range 3 {
		if err := handle(context.Background(), asynq.NewTask(TypeEnrolmentCompleted, outbox.Payload)); err != nil {
			t.Fatalf("HandleEnrolmentCompleted = %v", err)
		}
	}
	if len(sender.sent) != 1 {
		t.Fatalf("mails sent for three deliveries of one completion = %d, want 1", len(sender.sent))
	}
	m := sender.sent[0]
	if m.To != l.Email || !strings.Contains(m.Text, "12.5 JP") || !strings.Contains(m.Subject, "Selamat") {
		t.Errorf("completion mail = %+v, want a bilingual notice to %s naming the 12.5 JP", m, l.Email)
	}
	if err := handle(context.Background(), asynq.NewTask(TypeEnrolmentCompleted, []byte("{"))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("HandleEnrolmentCompleted(bad payload) = %v, want SkipRetry", err)
	}
}
