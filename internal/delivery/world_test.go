package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
	"github.com/corpu/corpu/internal/platform/web"
)

// The tests run the service on a real PostgreSQL database of their own. The
// catalogue and the directory are delivery's own interfaces, implemented
// here by small maps.

var errNoSuchThing = apperr.New(apperr.KindNotFound, "test.not_found", "Tidak ada.", "No such thing.")

// clock is a server clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// catalogue is a Catalogue over maps.
type catalogue struct {
	mu       sync.Mutex
	versions map[uuid.UUID]CourseVersion
	paths    map[uuid.UUID][]PathStep
	// sharedUnder limits a course to the subtrees at these paths; a course
	// not listed is shared nationally.
	sharedUnder map[uuid.UUID][]string
}

func (c *catalogue) SharedWith(_ context.Context, courseIDs []uuid.UUID, orgPaths []string) (map[uuid.UUID]bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[uuid.UUID]bool{}
	for _, id := range courseIDs {
		roots, limited := c.sharedUnder[id]
		for _, p := range orgPaths {
			if !limited || slices.ContainsFunc(roots, func(r string) bool { return authz.Inside(p, r) }) {
				out[id] = true
			}
		}
	}
	return out, nil
}

func (c *catalogue) PublishedVersion(_ context.Context, id uuid.UUID) (CourseVersion, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.versions[id]
	if !ok {
		return CourseVersion{}, errNoSuchThing
	}
	return v, nil
}

func (c *catalogue) SeePath(_ context.Context, id uuid.UUID) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.paths[id]; !ok {
		return errNoSuchThing
	}
	return nil
}

func (c *catalogue) PathSteps(_ context.Context, id uuid.UUID) ([]PathStep, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	steps, ok := c.paths[id]
	if !ok {
		return nil, errNoSuchThing
	}
	return steps, nil
}

// directory is a Directory over maps.
type directory struct {
	mu       sync.Mutex
	orgs     map[uuid.UUID]string
	learners map[uuid.UUID]Learner
}

func (d *directory) OrgPath(_ context.Context, id uuid.UUID) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.orgs[id]
	if !ok {
		return "", errNoSuchThing
	}
	return p, nil
}

func (d *directory) Learner(_ context.Context, id uuid.UUID) (Learner, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l, ok := d.learners[id]
	if !ok {
		return Learner{}, errNoSuchThing
	}
	return l, nil
}

func (d *directory) LearnersInOrg(_ context.Context, id uuid.UUID) ([]Learner, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	root, ok := d.orgs[id]
	if !ok {
		return nil, errNoSuchThing
	}
	var out []Learner
	for _, l := range d.learners {
		if strings.HasPrefix(l.OrgPath, root) {
			out = append(out, l)
		}
	}
	return out, nil
}

func (d *directory) LearnersByNIP(_ context.Context, nips []string) (map[string]Learner, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]Learner{}
	for _, l := range d.learners {
		for _, n := range nips {
			if l.NIP == n {
				out[n] = l
			}
		}
	}
	return out, nil
}

// world is a small government: a ministry with a training institute and
// two work units, their people, and a catalogue.
type world struct {
	t     *testing.T
	db    *database.DB
	svc   *Service
	cat   *catalogue
	dir   *directory
	clock *clock

	mu     sync.Mutex
	grants map[uuid.UUID][]authz.Grant
	nips   int

	ministry, institute, unitA, unitB uuid.UUID
	manager                           Learner // instructor at the institute: manages and teaches its classes
}

// start is the test's "now": Monday 2 March 2026, 08:00 WIB.
var start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func newWorld(t *testing.T) *world {
	t.Helper()
	db := database.NewTestDB(t)
	w := &world{
		t: t, db: db, clock: &clock{t: start},
		cat: &catalogue{versions: map[uuid.UUID]CourseVersion{}, paths: map[uuid.UUID][]PathStep{},
			sharedUnder: map[uuid.UUID][]string{}},
		dir:    &directory{orgs: map[uuid.UUID]string{}, learners: map[uuid.UUID]Learner{}},
		grants: map[uuid.UUID][]authz.Grant{},
	}
	w.ministry = w.org(uuid.Nil)
	w.institute = w.org(w.ministry)
	w.unitA = w.org(w.ministry)
	w.unitB = w.org(w.ministry)
	w.svc = NewService(Deps{DB: db, Outbox: queue.NewOutbox(db), Catalogue: w.cat, Directory: w.dir,
		Auditor: audit.NewService(db, w.dir), Now: w.clock.Now})
	w.manager = w.person(w.institute, nil)
	w.grant(w.manager, authz.RoleInstructor, w.institute)
	return w
}

func (w *world) org(parent uuid.UUID) uuid.UUID {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	id := uuid.Must(uuid.NewV7())
	path := "/"
	if parent != uuid.Nil {
		path = w.dir.orgs[parent]
	}
	w.dir.orgs[id] = path + id.String() + "/"
	return id
}

func (w *world) path(org uuid.UUID) string {
	w.dir.mu.Lock()
	defer w.dir.mu.Unlock()
	return w.dir.orgs[org]
}

// person adds a civil servant to an organisation, with a supervisor or nil.
func (w *world) person(org uuid.UUID, supervisor *Learner) Learner {
	w.mu.Lock()
	w.nips++
	n := w.nips
	w.mu.Unlock()
	l := Learner{UserID: uuid.Must(uuid.NewV7()), OrgID: org, OrgPath: w.path(org), Name: fmt.Sprintf("Pegawai %d", n),
		Email: fmt.Sprintf("pegawai%d@kemendagri.go.id", n), NIP: fmt.Sprintf("198503122010011%03d", n)}
	if supervisor != nil {
		l.SupervisorID = &supervisor.UserID
	}
	w.dir.mu.Lock()
	w.dir.learners[l.UserID] = l
	w.dir.mu.Unlock()
	return l
}

func (w *world) grant(l Learner, role authz.Role, org uuid.UUID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.grants[l.UserID] = append(w.grants[l.UserID], authz.Grant{ID: uuid.Must(uuid.NewV7()), Role: role, OrgID: org, OrgPath: w.path(org)})
}

func (w *world) actor(userID uuid.UUID) *authz.Actor {
	w.dir.mu.Lock()
	l := w.dir.learners[userID]
	w.dir.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	return &authz.Actor{UserID: userID, HomeOrgID: l.OrgID, HomeOrgPath: l.OrgPath, Grants: append([]authz.Grant(nil), w.grants[userID]...)}
}

// as returns a context signed in as l.
func (w *world) as(l Learner) context.Context {
	return authz.WithActor(context.Background(), w.actor(l.UserID))
}

// item kinds of the standard version, in order.
var standardItems = []string{ItemText, ItemVideo, ItemQuiz}

// version publishes a version of a new course with required items of the
// given kinds and 12.5 JP.
func (w *world) version(kinds ...string) CourseVersion {
	if len(kinds) == 0 {
		kinds = standardItems
	}
	v := CourseVersion{VersionID: uuid.Must(uuid.NewV7()), CourseID: uuid.Must(uuid.NewV7()), OrgID: w.institute,
		Title: "Literasi Digital ASN", JPCredit: 12.5, DeliveryMode: "blended"}
	for _, k := range kinds {
		v.Items = append(v.Items, CourseItem{ID: uuid.Must(uuid.NewV7()), Kind: k, Required: true})
	}
	w.publish(v)
	return v
}

func (w *world) publish(v CourseVersion) {
	w.cat.mu.Lock()
	defer w.cat.mu.Unlock()
	w.cat.versions[v.VersionID] = v
}

// classOf opens a class of v at the institute, changed by opts.
func (w *world) classOf(v CourseVersion, opts ...func(*ClassInput)) Class {
	w.t.Helper()
	in := ClassInput{VersionID: v.VersionID, OrgID: w.institute, Code: "K-" + uuid.NewString()[:8],
		StartsOn: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), EndsOn: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
		Capacity: 30, Policy: PolicyOpen}
	for _, o := range opts {
		o(&in)
	}
	c, err := w.svc.CreateClass(w.as(w.manager), in)
	if err != nil {
		w.t.Fatalf("CreateClass(%+v) = %v", in, err)
	}
	return c
}

func withCapacity(n int, waitlist bool) func(*ClassInput) {
	return func(in *ClassInput) { in.Capacity, in.Waitlist = n, waitlist }
}

func withPolicy(p Policy) func(*ClassInput) { return func(in *ClassInput) { in.Policy = p } }

func withThreshold(t float64) func(*ClassInput) {
	return func(in *ClassInput) { in.AttendanceThreshold = &t }
}

// session schedules an in-person session of a class at start+offset for a duration.
func (w *world) session(c Class, offset, duration time.Duration) Session {
	w.t.Helper()
	kind, title, venue := SessionInPerson, "Tatap muka", "Aula BPSDM"
	starts, ends := start.Add(offset), start.Add(offset+duration)
	s, err := w.svc.CreateSession(w.as(w.manager), c.ID, SessionInput{Kind: &kind, Title: &title, Venue: &venue,
		StartsAt: &starts, EndsAt: &ends}, true)
	if err != nil {
		w.t.Fatalf("CreateSession = %v", err)
	}
	return s
}

func (w *world) enrol(l Learner, c Class) Enrolment {
	w.t.Helper()
	e, _, err := w.svc.Enrol(w.as(l), c.ID)
	if err != nil {
		w.t.Fatalf("Enrol(%s in %s) = %v", l.Name, c.Code, err)
	}
	return e
}

func (w *world) enrolment(id uuid.UUID) Enrolment {
	w.t.Helper()
	e, err := w.svc.store.enrolment(context.Background(), id, false)
	if err != nil {
		w.t.Fatalf("enrolment %s: %v", id, err)
	}
	return e
}

func (w *world) count(table, where string, args ...any) int {
	w.t.Helper()
	var n int64
	q := w.db.Conn(context.Background()).Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		w.t.Fatalf("count %s: %v", table, err)
	}
	return int(n)
}

// complete makes a learner complete every item of the standard version.
func (w *world) complete(l Learner, e Enrolment, v CourseVersion) {
	w.t.Helper()
	ratio := 1.0
	for _, it := range v.Items {
		var err error
		switch it.Kind {
		case ItemText, ItemDocument, ItemLink:
			_, err = w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: it.ID, Event: EventViewed})
		case ItemVideo:
			_, err = w.svc.RecordProgress(w.as(l), e.ID, ProgressInput{ItemID: it.ID, Event: EventVideoWatched, WatchedRatio: &ratio})
		case ItemQuiz:
			err = w.svc.RecordOutcome(context.Background(), e.ID, it.ID, EventQuizPassed)
		case ItemAssignment:
			err = w.svc.RecordOutcome(context.Background(), e.ID, it.ID, EventAssignmentGraded)
		}
		if err != nil {
			w.t.Fatalf("progress on %s item: %v", it.Kind, err)
		}
	}
	// the gradebook passes the learner, which is what counts for the
	// graded items
	if err := w.gradebookResult(e, GradeResult{Passed: true, Revision: 1}); err != nil {
		w.t.Fatalf("gradebook result: %v", err)
	}
}

// gradebookResult hands delivery the gradebook's result for an enrolment as
// the bus does: a batch of one gradebook:result-changed event.
func (w *world) gradebookResult(e Enrolment, r GradeResult) error {
	w.t.Helper()
	payload, err := json.Marshal(gradebookResultPayload{ClassID: e.ClassID, UserID: e.UserID, FinalPercent: r.FinalPercent,
		Passed: r.Passed, Revision: r.Revision})
	if err != nil {
		w.t.Fatal(err)
	}
	return w.svc.HandleGradebookResults(context.Background(), []queue.BatchedJob{{ID: uuid.Must(uuid.NewV7()), Payload: payload}})
}

// --- HTTP ---

// testUserHeader names the signed-in user in HTTP tests; the real
// authentication middleware lives in identity.
const testUserHeader = "X-Test-User"

func (w *world) server() *echo.Echo {
	e := echo.New()
	e.HTTPErrorHandler = web.ErrorHandler(slog.New(slog.DiscardHandler))
	api := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id, err := uuid.Parse(c.Request().Header.Get(testUserHeader))
			if err != nil {
				return authz.ErrUnauthenticated
			}
			c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), w.actor(id))))
			return next(c)
		}
	})
	NewHandler(w.svc).Mount(api)
	return e
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (w *world) do(e *echo.Echo, as Learner, method, path, contentType string, body string) response {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept-Language", "en")
	req.Header.Set(testUserHeader, as.UserID.String())
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// problem decodes a problem document, failing unless the response is one.
func problem(t testing.TB, r response) web.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, web.ProblemContentType) {
		t.Fatalf("Content-Type = %q, want %s (body %s)", ct, web.ProblemContentType, r.body)
	}
	var p web.Problem
	r.decode(t, &p)
	return p
}
