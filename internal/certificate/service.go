package certificate

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Auditor records changes; the audit service provides it.
type Auditor interface {
	Record(ctx context.Context, perm authz.Permission, c audit.Change) error
}

// Objects keeps the PDFs and reads template images; the object store provides it.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	PresignGet(ctx context.Context, key, filename string) (objectstore.Presigned, error)
}

// Organization is an institute or a course owner as certificates name it.
type Organization struct {
	ID   uuid.UUID
	Code string
	Name string
	Path string
}

// Person is a learner or a supervisor.
type Person struct {
	ID           uuid.UUID
	Name         string
	NIP          string
	Email        string
	SupervisorID *uuid.UUID
}

// Directory reads organisations and people without authorizing; identity
// provides it.
type Directory interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
	Organization(ctx context.Context, orgID uuid.UUID) (Organization, error)
	Person(ctx context.Context, userID uuid.UUID) (Person, error)
}

// Completion is an enrolment as a certificate needs it, read from delivery
// and the catalogue without authorizing.
type Completion struct {
	EnrolmentID  uuid.UUID
	UserID       uuid.UUID
	ClassID      uuid.UUID
	ClassCode    string
	ClassTitle   string
	InstituteID  uuid.UUID // the organisation that ran the class
	CourseID     uuid.UUID
	CourseTitle  string
	CourseOrgID  uuid.UUID // the course's owner
	JP           float64
	Competencies []string
	Completed    bool
	CompletedAt  time.Time
}

// Enrolments reads completions; delivery (with the catalogue) provides it.
// The lists are in enrolment id order after the given id.
type Enrolments interface {
	Completion(ctx context.Context, enrolmentID uuid.UUID) (Completion, error)
	ClassInstitute(ctx context.Context, classID uuid.UUID) (uuid.UUID, error)
	CompletedInClass(ctx context.Context, classID, after uuid.UUID, limit int) ([]uuid.UUID, error)
	CompletedSince(ctx context.Context, since time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error)
}

// FinalGrades gives a learner's final grade in a class; the gradebook
// provides it. ok is false when the class has no grade for them.
type FinalGrades interface {
	FinalGrade(ctx context.Context, classID, userID uuid.UUID) (percent float64, ok bool, err error)
}

// Jobs records the progress of bulk issues; the job service provides it.
type Jobs interface {
	Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error)
	Start(ctx context.Context, id uuid.UUID) error // ErrJobOver when there is nothing to do
	Progress(ctx context.Context, id uuid.UUID, done, total int) error
	Succeed(ctx context.Context, id uuid.UUID, result any) error
	Fail(ctx context.Context, id uuid.UUID, msg string) error
}

// Deps are what the certificate service needs from the rest of Corpu.
type Deps struct {
	DB         *database.DB
	Outbox     *queue.Outbox
	Auditor    Auditor
	Objects    Objects
	Directory  Directory
	Enrolments Enrolments
	Grades     FinalGrades // nil: certificates show no grade
	Jobs       Jobs
	Images     Images // nil: templates take no images
	// MasterKey (32 bytes) encrypts the institutes' private keys.
	MasterKey []byte
	// KeyDir, when set, holds institutes' private keys as files
	// <CODE>.pem; an institute without one keeps an encrypted key.
	KeyDir string
	// PublicURL is where the verification page is reached, e.g. https://corpu.go.id.
	PublicURL string
	// ReminderDays is how long before expiry holders are reminded; 0 for 60.
	ReminderDays int
	Now          func() time.Time
}

// Service issues, verifies and revokes certificates. Methods that serve a
// signed-in caller authorize from the context; the task handlers and the
// public verification do not.
type Service struct {
	db         *database.DB
	store      store
	outbox     *queue.Outbox
	audit      Auditor
	objects    Objects
	dir        Directory
	enrolments Enrolments
	grades     FinalGrades
	jobs       Jobs
	images     Images
	imageCache imageCache
	keys       *keyring
	publicURL  string
	reminder   time.Duration
	bulkPage   int
	fonts      fonts
	now        func() time.Time
}

// NewService returns the certificate service.
func NewService(d Deps) (*Service, error) {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	utc := func() time.Time { return now().UTC().Truncate(time.Microsecond) }
	files := keyFiles{dir: d.KeyDir, code: func(ctx context.Context, orgID uuid.UUID) (string, error) {
		o, err := d.Directory.Organization(ctx, orgID)
		return o.Code, err
	}}
	keys, err := newKeyring(d.DB, d.MasterKey, files, utc)
	if err != nil {
		return nil, err
	}
	days := d.ReminderDays
	if days <= 0 {
		days = 60
	}
	return &Service{db: d.DB, store: store{db: d.DB}, outbox: d.Outbox, audit: d.Auditor, objects: d.Objects,
		dir: d.Directory, enrolments: d.Enrolments, grades: d.Grades, jobs: d.Jobs, images: d.Images,
		imageCache: imageCache{images: map[uuid.UUID]image{}}, keys: keys,
		publicURL: strings.TrimRight(d.PublicURL, "/"), reminder: time.Duration(days) * 24 * time.Hour, bulkPage: defaultBulkPage, fonts: newFonts(), now: utc}, nil
}

// VerifyURL is the public page a certificate's QR code opens.
func (s *Service) VerifyURL(serial string) string {
	return s.publicURL + "/verify/" + URLSerial(serial)
}

// RotateKey retires an institute's signing key and makes a new one, for an
// issuer of the institute; what the old key signed stays verifiable. It
// returns the new key's ID.
func (s *Service) RotateKey(ctx context.Context, orgID uuid.UUID) (string, error) {
	_, path, err := s.issuerScope(ctx, orgID, ErrIssuerNotFound)
	if err != nil {
		return "", err
	}
	kid, err := s.keys.rotate(ctx, orgID)
	if err != nil {
		return "", err
	}
	return kid, s.audit.Record(ctx, authz.CertificateIssue, audit.Change{Action: "certificate_key.rotate", EntityType: "certificate_key",
		EntityID: kid, OrgID: orgID, OrgPath: path, After: map[string]string{"key_id": kid}})
}

// JWKS is an institute's public key set, for verifiers of its certificates
// and credentials.
func (s *Service) JWKS(ctx context.Context, orgID uuid.UUID) ([]byte, error) {
	return s.keys.jwks(ctx, orgID)
}
