package certificate

import (
	"bytes"
	"context"
	imagepkg "image"
	"image/color"
	"image/png"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

// fixture is a certificate service over a real database and object store,
// with fake directory, enrolments and jobs: an institute (BPSDM-JABAR) that
// runs a class of a course owned by the national institute.
type fixture struct {
	db         *database.DB
	objects    *objectstore.Store
	svc        *Service
	institute  Organization
	owner      Organization
	enrolments *fakeEnrolments
	people     map[uuid.UUID]Person
	clock      time.Time
	class      uuid.UUID
	jobs       *fakeJobs
	images     fakeImages
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{db: database.NewTestDB(t), objects: objectstore.NewTestStore(t), people: map[uuid.UUID]Person{},
		clock: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), class: uuid.Must(uuid.NewV7()), jobs: &fakeJobs{},
		images: fakeImages{}}
	f.owner = f.addOrg(t, "BPSDM-KEMENDAGRI", "BPSDM Kementerian Dalam Negeri")
	f.institute = f.addOrg(t, "BPSDM-JABAR", "BPSDM Provinsi Jawa Barat")
	f.enrolments = &fakeEnrolments{byID: map[uuid.UUID]Completion{}}
	svc, err := NewService(Deps{DB: f.db, Outbox: queue.NewOutbox(f.db), Auditor: nopAuditor{}, Objects: f.objects,
		Directory: fakeDirectory{f}, Enrolments: f.enrolments, Jobs: f.jobs, Images: f.images, MasterKey: DevelopmentMasterKey(),
		PublicURL: "https://corpu.example.go.id", Now: func() time.Time { return f.clock }})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) addOrg(t testing.TB, code, name string) Organization {
	t.Helper()
	id := uuid.Must(uuid.NewV7())
	o := Organization{ID: id, Code: code, Name: name, Path: "/" + id.String() + "/"}
	err := f.db.Conn(context.Background()).Exec(`INSERT INTO organizations (id, path, kind, code, name) VALUES (?, ?, 'training_institute', ?, ?)`,
		o.ID, o.Path, o.Code, o.Name).Error
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// completed adds a learner whose enrolment in the class is completed (or not).
func (f *fixture) completed(t testing.TB, name string, done bool) Completion {
	t.Helper()
	learner := Person{ID: uuid.Must(uuid.NewV7()), Name: name, NIP: "199204172019031004", Email: "learner@example.go.id"}
	f.people[learner.ID] = learner
	c := Completion{EnrolmentID: uuid.Must(uuid.NewV7()), UserID: learner.ID, ClassID: f.class, ClassCode: "LD-JABAR-1",
		ClassTitle: "Literasi Digital Angkatan 1", InstituteID: f.institute.ID, CourseID: uuid.Must(uuid.NewV7()),
		CourseTitle: "Literasi Digital bagi ASN", CourseOrgID: f.owner.ID, JP: 12, Competencies: []string{"literasi-digital"},
		Completed: done, CompletedAt: f.clock.Add(-time.Hour)}
	f.enrolments.add(c)
	return c
}

// registrar is a caller who issues for the institute.
func (f *fixture) registrar() context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.Must(uuid.NewV7()), HomeOrgID: f.institute.ID,
		HomeOrgPath: f.institute.Path, Grants: []authz.Grant{{Role: authz.RoleRegistrar, OrgID: f.institute.ID, OrgPath: f.institute.Path}}})
}

// issueOnCompletion runs the completion consumer as the bus does: in a transaction.
func (f *fixture) issueOnCompletion(t testing.TB, c Completion) Certificate {
	t.Helper()
	err := f.db.WithTx(context.Background(), func(ctx context.Context) error {
		return f.svc.HandleEnrolmentCompleted(ctx, completedTask(t, c.EnrolmentID))
	})
	if err != nil {
		t.Fatalf("HandleEnrolmentCompleted = %v", err)
	}
	cert, err := f.svc.store.ofEnrolment(context.Background(), c.EnrolmentID)
	if err != nil {
		t.Fatalf("no certificate after completion: %v", err)
	}
	return cert
}

type nopAuditor struct{}

func (nopAuditor) Record(context.Context, authz.Permission, audit.Change) error { return nil }

type fakeDirectory struct{ f *fixture }

func (d fakeDirectory) OrgPath(_ context.Context, id uuid.UUID) (string, error) {
	for _, o := range []Organization{d.f.owner, d.f.institute} {
		if o.ID == id {
			return o.Path, nil
		}
	}
	return "", ErrNotFound
}

func (d fakeDirectory) Organization(_ context.Context, id uuid.UUID) (Organization, error) {
	for _, o := range []Organization{d.f.owner, d.f.institute} {
		if o.ID == id {
			return o, nil
		}
	}
	return Organization{}, ErrNotFound
}

func (d fakeDirectory) Person(_ context.Context, id uuid.UUID) (Person, error) {
	p, ok := d.f.people[id]
	if !ok {
		return p, ErrNotFound
	}
	return p, nil
}

type fakeEnrolments struct {
	mu   sync.Mutex
	byID map[uuid.UUID]Completion
}

func (e *fakeEnrolments) add(c Completion) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.byID[c.EnrolmentID] = c
}

func (e *fakeEnrolments) Completion(_ context.Context, id uuid.UUID) (Completion, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.byID[id]
	if !ok {
		return c, ErrEnrolmentNotFound
	}
	return c, nil
}

func (e *fakeEnrolments) ClassInstitute(_ context.Context, classID uuid.UUID) (uuid.UUID, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.byID {
		if c.ClassID == classID {
			return c.InstituteID, nil
		}
	}
	return uuid.Nil, ErrClassNotFound
}

func (e *fakeEnrolments) completedAfter(keep func(Completion) bool, after uuid.UUID, limit int) []uuid.UUID {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []uuid.UUID
	for id, c := range e.byID {
		if c.Completed && keep(c) && id.String() > after.String() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	return ids[:min(limit, len(ids))]
}

func (e *fakeEnrolments) CompletedInClass(_ context.Context, classID, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return e.completedAfter(func(c Completion) bool { return c.ClassID == classID }, after, limit), nil
}

func (e *fakeEnrolments) CompletedSince(_ context.Context, since time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return e.completedAfter(func(c Completion) bool { return !c.CompletedAt.Before(since) }, after, limit), nil
}

type fakeJobs struct {
	mu       sync.Mutex
	done     int
	total    int
	finished bool
}

func (j *fakeJobs) Create(context.Context, string, authz.Permission, uuid.UUID, any) (job.Job, error) {
	return job.Job{ID: uuid.Must(uuid.NewV7())}, nil
}

func (j *fakeJobs) Start(context.Context, uuid.UUID) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.finished {
		return ErrJobOver
	}
	return nil
}

func (j *fakeJobs) Progress(_ context.Context, _ uuid.UUID, done, total int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done, j.total = done, total
	return nil
}

func (j *fakeJobs) Fail(context.Context, uuid.UUID, string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = true
	return nil
}

func (j *fakeJobs) Succeed(context.Context, uuid.UUID, any) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = true
	return nil
}

// asLearner is a caller with nothing but their own learning.
func asLearner(userID uuid.UUID) context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: userID})
}

// fakeImages are uploads by id, their bytes in the test object store.
type fakeImages map[uuid.UUID]ImageFile

func (i fakeImages) ImageFile(_ context.Context, id uuid.UUID) (ImageFile, error) {
	f, ok := i[id]
	if !ok {
		return f, ErrNotFound
	}
	return f, nil
}

// addImage stores a small PNG uploaded for certificates (or not) of orgID.
func (f *fixture) addImage(t testing.TB, orgID uuid.UUID, forCertificates bool) uuid.UUID {
	t.Helper()
	img := imagepkg.NewRGBA(imagepkg.Rect(0, 0, 40, 20))
	for x := range 40 {
		img.Set(x, 10, color.Black)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	key := "uploads/" + id.String()
	if err := f.objects.Put(context.Background(), key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), "image/png"); err != nil {
		t.Fatal(err)
	}
	f.images[id] = ImageFile{OrgID: orgID, ContentType: "image/png", ObjectKey: key, CertificateImage: forCertificates}
	return id
}
