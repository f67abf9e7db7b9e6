package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/certificate"
	"github.com/corpu/corpu/internal/course"
	"github.com/corpu/corpu/internal/delivery"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/upload"
)

// certificateDirectory gives certificates the organisations and people of identity.
type certificateDirectory struct{ people *identity.Service }

func (d certificateDirectory) OrgPath(ctx context.Context, orgID uuid.UUID) (string, error) {
	return d.people.OrgPath(ctx, orgID)
}

func (d certificateDirectory) Organization(ctx context.Context, orgID uuid.UUID) (certificate.Organization, error) {
	o, err := d.people.Organization(ctx, orgID)
	return certificate.Organization{ID: o.ID, Code: o.Code, Name: o.Name, Path: o.Path}, err
}

func (d certificateDirectory) Person(ctx context.Context, userID uuid.UUID) (certificate.Person, error) {
	u, err := d.people.Person(ctx, userID)
	return certificate.Person{ID: u.ID, Name: u.Name, NIP: u.NIP, Email: u.Email, SupervisorID: u.SupervisorID}, err
}

// certificateEnrolments gives certificates the completions of delivery with
// the course facts of the catalogue.
type certificateEnrolments struct {
	delivery *delivery.Service
	courses  *course.Service
}

func (e certificateEnrolments) Completion(ctx context.Context, enrolmentID uuid.UUID) (certificate.Completion, error) {
	en, class, err := e.delivery.CompletedEnrolment(ctx, enrolmentID)
	if errors.Is(err, delivery.ErrEnrolmentNotFound) {
		return certificate.Completion{}, certificate.ErrEnrolmentNotFound
	}
	if err != nil {
		return certificate.Completion{}, err
	}
	v, err := e.courses.PublishedVersion(ctx, class.VersionID)
	if err != nil {
		return certificate.Completion{}, err
	}
	out := certificate.Completion{EnrolmentID: en.ID, UserID: en.UserID, ClassID: class.ID, ClassCode: class.Code,
		ClassTitle: class.Title, InstituteID: class.OrgID, CourseID: v.CourseID, CourseTitle: v.Title, CourseOrgID: v.OrgID,
		JP: class.JPCredit, Competencies: v.CompetencyTags, Completed: en.Status == delivery.EnrolmentCompleted}
	if en.CompletedAt != nil {
		out.CompletedAt = *en.CompletedAt
	}
	return out, nil
}

func (e certificateEnrolments) ClassInstitute(ctx context.Context, classID uuid.UUID) (uuid.UUID, error) {
	c, err := e.delivery.ClassFacts(ctx, classID)
	if errors.Is(err, delivery.ErrClassNotFound) {
		return uuid.Nil, certificate.ErrClassNotFound
	}
	return c.OrgID, err
}

func (e certificateEnrolments) CompletedInClass(ctx context.Context, classID, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return e.delivery.CompletedInClass(ctx, classID, after, limit)
}

func (e certificateEnrolments) CompletedSince(ctx context.Context, since time.Time, after uuid.UUID, limit int) ([]uuid.UUID, error) {
	return e.delivery.CompletedSince(ctx, since, after, limit)
}

// certificateImages gives certificates the uploaded images of templates.
type certificateImages struct{ uploads *upload.Service }

func (i certificateImages) ImageFile(ctx context.Context, fileID uuid.UUID) (certificate.ImageFile, error) {
	f, err := i.uploads.File(ctx, fileID)
	if err != nil {
		return certificate.ImageFile{}, err
	}
	return certificate.ImageFile{OrgID: f.OrgID, ContentType: f.ContentType, ObjectKey: f.ObjectKey,
		CertificateImage: f.Purpose == upload.PurposeCertificateImage}, nil
}

// certificateJobs gives certificates the job resource of bulk issues.
type certificateJobs struct{ jobs *job.Service }

func (j certificateJobs) Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error) {
	return j.jobs.Create(ctx, kind, perm, orgID, params)
}

func (j certificateJobs) Start(ctx context.Context, id uuid.UUID) error {
	_, err := j.jobs.Start(ctx, id)
	if errors.Is(err, job.ErrFinished) {
		return certificate.ErrJobOver
	}
	return err
}

func (j certificateJobs) Progress(ctx context.Context, id uuid.UUID, done, total int) error {
	err := j.jobs.Progress(ctx, id, done, total)
	if errors.Is(err, job.ErrFinished) {
		return certificate.ErrJobOver
	}
	return err
}

func (j certificateJobs) Fail(ctx context.Context, id uuid.UUID, msg string) error {
	return j.jobs.Fail(ctx, id, msg)
}

func (j certificateJobs) Succeed(ctx context.Context, id uuid.UUID, result any) error {
	return j.jobs.Succeed(ctx, id, result, "", "")
}
