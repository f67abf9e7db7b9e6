package delivery

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

func TestSchedulingOverAnInstructorsOtherSessionIsAClash(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	teacher := w.person(w.institute, nil)
	first, second := w.classOf(v), w.classOf(v)
	for _, c := range []Class{first, second} {
		if _, err := w.svc.SetStaff(w.as(w.manager), c.ID, []Staff{{UserID: teacher.UserID, Role: StaffInstructor}}, false); err != nil {
			t.Fatalf("SetStaff = %v", err)
		}
	}
	busy := w.session(first, 2*time.Hour, 2*time.Hour) // 10:00-12:00 WIB
	srv := w.server()
	path := "/api/v1/classes/" + second.ID.String() + "/sessions"

	tests := []struct {
		name       string
		query      string
		from, to   time.Duration
		kind       SessionKind
		wantStatus int
	}{
		{"an overlapping in-person session is refused", "", 3 * time.Hour, 5 * time.Hour, SessionInPerson, http.StatusConflict},
		{"a session that starts when the other ends is fine", "", 4 * time.Hour, 5 * time.Hour, SessionInPerson, http.StatusCreated},
		{"a self-paced window never clashes", "", 2 * time.Hour, 30 * time.Hour, SessionSelfPaced, http.StatusCreated},
		{"force overrides the clash", "?force=true", 3 * time.Hour, 5 * time.Hour, SessionInPerson, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"kind":"` + string(tt.kind) + `","title":"Praktik","venue":"Lab 2","starts_at":"` +
				start.Add(tt.from).Format(time.RFC3339) + `","ends_at":"` + start.Add(tt.to).Format(time.RFC3339) + `"}`
			before := w.count("sessions", "class_id = ?", second.ID)
			r := w.do(srv, w.manager, http.MethodPost, path+tt.query, "application/json", body)
			if r.status != tt.wantStatus {
				t.Fatalf("POST sessions = %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusConflict {
				return
			}
			var p struct {
				web.Problem
				Clashes []clashResponse `json:"clashes"`
			}
			r.decode(t, &p)
			if p.Type != "urn:corpu:problem:delivery.schedule_clash" || len(p.Clashes) != 1 ||
				p.Clashes[0].SessionID != busy.ID || p.Clashes[0].UserID != teacher.UserID {
				t.Errorf("clash problem = %+v, want the busy session %s of %s", p, busy.ID, teacher.UserID)
			}
			if got := w.count("sessions", "class_id = ?", second.ID); got != before {
				t.Errorf("sessions after a clash = %d, want %d", got, before)
			}
		})
	}

	t.Run("staffing a class whose sessions clash is refused", func(t *testing.T) {
		third := w.classOf(v)
		w.session(third, 2*time.Hour, time.Hour)
		_, err := w.svc.SetStaff(w.as(w.manager), third.ID, []Staff{{UserID: teacher.UserID, Role: StaffMentor}}, false)
		var clash *ClashError
		if !errors.As(err, &clash) || len(clash.Clashes) == 0 {
			t.Errorf("SetStaff over a clash = %v, want a clash error", err)
		}
	})
}

func TestSelfEnrolmentInAClassThatClashesIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	morning, overlapping, afternoon := w.classOf(v), w.classOf(v), w.classOf(v)
	w.session(morning, 2*time.Hour, 2*time.Hour)
	clashing := w.session(overlapping, 3*time.Hour, 2*time.Hour)
	w.session(afternoon, 6*time.Hour, 2*time.Hour)
	l := w.person(w.unitA, nil)
	w.enrol(l, morning)

	_, _, err := w.svc.Enrol(w.as(l), overlapping.ID)
	var clash *ClashError
	if !errors.As(err, &clash) || len(clash.Clashes) != 1 || clash.Clashes[0].WithID != clashing.ID {
		t.Fatalf("Enrol(clashing class) = %v, want a clash with session %s", err, clashing.ID)
	}
	if got := w.count("enrolments", "class_id = ?", overlapping.ID); got != 0 {
		t.Errorf("enrolments in the clashing class = %d, want 0", got)
	}
	if _, _, err := w.svc.Enrol(w.as(l), afternoon.ID); err != nil {
		t.Errorf("Enrol(class without clash) = %v", err)
	}
	// An assigner may still place the learner: the clash blocks self-enrolment only.
	assigner := w.person(w.unitA, nil)
	w.grant(assigner, authz.RoleSupervisor, w.unitA)
	res, err := w.svc.EnrolInBulk(w.as(assigner), overlapping.ID, BulkEnrolInput{UserIDs: []uuid.UUID{l.UserID}})
	if err != nil || len(res.Assigned) != 1 {
		t.Errorf("Assign(clashing class) = %+v, %v; want assigned", res, err)
	}
}

func TestCheckInWithTheRotatingCode(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	teacher := w.person(w.institute, nil)
	if _, err := w.svc.SetStaff(w.as(w.manager), c.ID, []Staff{{UserID: teacher.UserID, Role: StaffInstructor}}, false); err != nil {
		t.Fatal(err)
	}
	sess := w.session(c, 2*time.Hour, 2*time.Hour) // 10:00-12:00 WIB
	learner := w.person(w.unitA, nil)
	w.enrol(learner, c)
	srv := w.server()
	during := sess.StartsAt.Add(10 * time.Minute)

	t.Run("staff see a six-digit code and its QR image during the session", func(t *testing.T) {
		w.clock.Set(during)
		r := w.do(srv, teacher, http.MethodGet, "/api/v1/sessions/"+sess.ID.String()+"/check-in-code", "", "")
		if r.status != http.StatusOK {
			t.Fatalf("GET check-in-code = %d %s", r.status, r.body)
		}
		var code checkInCodeResponse
		r.decode(t, &code)
		png, err := base64.StdEncoding.DecodeString(code.QRPNGBase64)
		if len(code.Code) != 6 || err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) || !code.ExpiresAt.After(during) ||
			!strings.Contains(code.QRText, code.Code) {
			t.Errorf("check-in code = %+v, want 6 digits, a PNG and a later expiry", code)
		}
	})
	t.Run("the code is not shown outside the session or to learners", func(t *testing.T) {
		w.clock.Set(sess.EndsAt.Add(time.Minute))
		if r := w.do(srv, teacher, http.MethodGet, "/api/v1/sessions/"+sess.ID.String()+"/check-in-code", "", ""); r.status != http.StatusConflict {
			t.Errorf("GET check-in-code after the session = %d, want 409", r.status)
		}
		w.clock.Set(during)
		if r := w.do(srv, learner, http.MethodGet, "/api/v1/sessions/"+sess.ID.String()+"/check-in-code", "", ""); r.status != http.StatusForbidden {
			t.Errorf("GET check-in-code by a learner = %d, want 403", r.status)
		}
	})

	secret := sessionSecret(t, w, sess.ID)
	codeAt := func(at time.Time) string { c, _ := currentCode(secret, at); return c }
	tests := []struct {
		name       string
		now        time.Time
		code       string
		who        Learner
		wantStatus int
	}{
		{"a code from two windows ago has expired", during, codeAt(during.Add(-2 * CodeStep)), learner, http.StatusUnprocessableEntity},
		{"a wrong code is refused", during, "000000", learner, http.StatusUnprocessableEntity},
		{"before the check-in window opens", sess.StartsAt.Add(-CheckInLead - time.Minute), codeAt(sess.StartsAt.Add(-CheckInLead - time.Minute)), learner, http.StatusConflict},
		{"after the session ends", sess.EndsAt.Add(time.Second), codeAt(sess.EndsAt.Add(time.Second)), learner, http.StatusConflict},
		{"someone not enrolled", during, codeAt(during), w.person(w.unitA, nil), http.StatusNotFound},
		{"the current code during the session", during, codeAt(during), learner, http.StatusCreated},
		{"the previous window's code, checking in again", during.Add(CodeStep), codeAt(during), learner, http.StatusOK},
		{"again with any code once checked in", during.Add(2 * CodeStep), "999999", learner, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(tt.now)
			r := w.do(srv, tt.who, http.MethodPost, "/api/v1/sessions/"+sess.ID.String()+"/check-in", "application/json", `{"code":"`+tt.code+`"}`)
			if r.status != tt.wantStatus {
				t.Fatalf("POST check-in = %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if r.status >= 400 {
				problem(t, r)
			}
		})
	}
	if got := w.count("attendance", "session_id = ?", sess.ID); got != 1 {
		t.Errorf("attendance rows = %d, want exactly 1", got)
	}
	t.Run("a code of the previous window is still accepted, the one before is not", func(t *testing.T) {
		now := during.Add(time.Hour)
		if !codeValid(secret, codeAt(now.Add(-CodeStep)), now) || codeValid(secret, codeAt(now.Add(-2*CodeStep)), now) {
			t.Error("codeValid accepts the wrong windows")
		}
	})
}

func sessionSecret(t *testing.T, w *world, id uuid.UUID) []byte {
	t.Helper()
	row, err := w.svc.store.session(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return row.Secret
}

func TestRollCallIsForTheClassStaff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	c := w.classOf(w.version())
	sess := w.session(c, 2*time.Hour, 2*time.Hour)
	mentor := w.person(w.institute, nil)
	if _, err := w.svc.SetStaff(w.as(w.manager), c.ID, []Staff{{UserID: mentor.UserID, Role: StaffMentor}}, false); err != nil {
		t.Fatal(err)
	}
	learner := w.person(w.unitA, nil)
	w.enrol(learner, c)
	outsider := w.person(w.unitA, nil)
	srv := w.server()
	path := "/api/v1/sessions/" + sess.ID.String() + "/attendance"

	tests := []struct {
		name       string
		who        Learner
		body       string
		wantStatus int
	}{
		{"a learner of the class may not", learner, `{"records":[{"user_id":"` + learner.UserID.String() + `","status":"present"}]}`, http.StatusForbidden},
		{"the class's mentor may", mentor, `{"records":[{"user_id":"` + learner.UserID.String() + `","status":"excused"}]}`, http.StatusOK},
		{"an instructor of the institute may", w.manager, `{"records":[{"user_id":"` + learner.UserID.String() + `","status":"present"}]}`, http.StatusOK},
		{"someone not enrolled cannot be marked", mentor, `{"records":[{"user_id":"` + outsider.UserID.String() + `","status":"present"}]}`, http.StatusUnprocessableEntity},
		{"an unknown status is refused", mentor, `{"records":[{"user_id":"` + learner.UserID.String() + `","status":"late"}]}`, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.do(srv, tt.who, http.MethodPut, path, "application/json", tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("PUT attendance = %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
		})
	}
	res, err := w.svc.Attendance(w.as(mentor), sess.ID, page.Request{Limit: 50})
	records := res.Items
	if err != nil || len(records) != 1 || records[0].Status != AttendancePresent || records[0].Method != MethodRollCall {
		t.Errorf("Attendance = %+v, %v; want the learner present by roll call", records, err)
	}
	if err := w.svc.DeleteSession(w.as(w.manager), sess.ID); !errors.Is(err, ErrSessionHasAttendance) {
		t.Errorf("DeleteSession(with attendance) = %v, want %v", err, ErrSessionHasAttendance)
	}
}

func TestListsPageThroughEveryItemOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.version()
	var classes []Class
	for i := range 3 {
		classes = append(classes, w.classOf(v, func(in *ClassInput) { in.StartsOn = in.StartsOn.AddDate(0, 0, 2-i) }))
	}
	kind, title, link := SessionVirtual, "Webinar", "https://meet.example.go.id/abc"
	for i := range 3 {
		starts, ends := start.Add(time.Duration(i)*24*time.Hour), start.Add(time.Duration(i)*24*time.Hour+time.Hour)
		if _, err := w.svc.CreateSession(w.as(w.manager), classes[2].ID, SessionInput{Kind: &kind, Title: &title, MeetingURL: &link,
			StartsAt: &starts, EndsAt: &ends}, false); err != nil {
			t.Fatal(err)
		}
	}
	learner, stranger := w.person(w.unitA, nil), w.person(w.unitA, nil)
	for _, c := range classes {
		w.enrol(learner, c)
	}
	srv := w.server()
	tests := []struct {
		name string
		path string
		who  Learner
		want int
	}{
		{"classes, earliest first", "/api/v1/classes?version_id=" + v.VersionID.String(), stranger, 3},
		{"classes, latest first", "/api/v1/classes?sort=-starts_on&version_id=" + v.VersionID.String(), stranger, 3},
		{"sessions", "/api/v1/classes/" + classes[2].ID.String() + "/sessions", learner, 3},
		{"my enrolments", "/api/v1/me/enrolments", learner, 3},
		{"a class's enrolments", "/api/v1/classes/" + classes[0].ID.String() + "/enrolments", w.manager, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := map[string]bool{}
			var previous string
			cursor := ""
			for pages := 0; pages < 10; pages++ {
				sep := "?"
				if strings.Contains(tt.path, "?") {
					sep = "&"
				}
				r := w.do(srv, tt.who, http.MethodGet, tt.path+sep+"limit=1&cursor="+cursor, "", "")
				if r.status != http.StatusOK {
					t.Fatalf("GET %s = %d %s", tt.path, r.status, r.body)
				}
				var res struct {
					Items []struct {
						ID         string `json:"id"`
						StartsOn   string `json:"starts_on"`
						MeetingURL string `json:"meeting_url"`
					} `json:"items"`
					NextCursor string `json:"next_cursor"`
				}
				r.decode(t, &res)
				for _, it := range res.Items {
					if seen[it.ID] {
						t.Errorf("item %s listed twice", it.ID)
					}
					seen[it.ID] = true
					if strings.Contains(tt.path, "sort=-starts_on") && previous != "" && it.StartsOn > previous {
						t.Errorf("classes out of order: %s after %s", it.StartsOn, previous)
					}
					previous = it.StartsOn
					if strings.Contains(tt.path, "/sessions") && it.MeetingURL != link {
						t.Errorf("meeting_url for an enrolled learner = %q, want %q", it.MeetingURL, link)
					}
				}
				if res.NextCursor == "" {
					break
				}
				cursor = res.NextCursor
			}
			if len(seen) != tt.want {
				t.Errorf("items listed = %d, want %d", len(seen), tt.want)
			}
		})
	}
	t.Run("meeting links are hidden from learners not in the class", func(t *testing.T) {
		res, err := w.svc.Sessions(w.as(stranger), classes[2].ID, page.Request{Limit: 10, Sort: "starts_at"})
		if err != nil || len(res.Items) != 3 || res.Items[0].MeetingURL != "" {
			t.Errorf("Sessions for a stranger = %+v, %v; want three sessions without links", res.Items, err)
		}
	})
}
