package assignment

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Jobs are the background jobs an export reports through; the job service
// provides them.
type Jobs interface {
	Create(ctx context.Context, kind string, perm authz.Permission, orgID uuid.UUID, params any) (job.Job, error)
	Start(ctx context.Context, id uuid.UUID) (job.Job, error)
	Succeed(ctx context.Context, id uuid.UUID, result any, resultKey, errorReportKey string) error
}

// Objects reads submitted files and writes the export's ZIP; the object
// store provides them.
type Objects interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
}

// SetExport plugs in the jobs and objects the ZIP export needs. Call it before serving.
func (s *Service) SetExport(j Jobs, o Objects) { s.jobs, s.objects = j, o }

// JobKindExport is the kind of the job that zips a class's submissions.
const JobKindExport = "assignment_submissions_zip"

// TypeExportSubmissions is the outbox job that builds the ZIP.
const TypeExportSubmissions = "assignment:export-submissions"

// ExportPayload is the payload of TypeExportSubmissions.
type ExportPayload struct {
	JobID        uuid.UUID `json:"job_id"`
	ClassID      uuid.UUID `json:"class_id"`
	AssignmentID uuid.UUID `json:"assignment_id"`
}

// ExportResult is the result of an export job.
type ExportResult struct {
	Submissions int `json:"submissions"`
	Files       int `json:"files"`
}

// StartExport queues a ZIP of the latest submission of every learner or
// group of a class's assignment for its graders, and returns the job to poll.
func (s *Service) StartExport(ctx context.Context, classID, itemID uuid.UUID) (job.Job, error) {
	sc, err := s.staffScope(ctx, classID, itemID)
	if err != nil {
		return job.Job{}, err
	}
	var j job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		p := ExportPayload{ClassID: classID, AssignmentID: itemID}
		if j, err = s.jobs.Create(ctx, JobKindExport, authz.ClassTeach, sc.access.OrgID, p); err != nil {
			return err
		}
		p.JobID = j.ID
		_, err = s.outbox.Add(ctx, queue.Job{Type: TypeExportSubmissions, Queue: queue.Low, Payload: p})
		return err
	})
	return j, err
}

// HandleExportSubmissions builds the ZIP in a temporary file, stores it and
// finishes the job; a job already over does nothing, a rerun builds it again.
func (s *Service) HandleExportSubmissions(ctx context.Context, t *asynq.Task) error {
	var p ExportPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if _, ok, err := job.BeginTask(ctx, s.jobs, TypeExportSubmissions, p.JobID); !ok {
		return err
	}
	a, err := s.store.assignment(ctx, p.AssignmentID)
	if err != nil {
		return err
	}
	subs, err := s.store.latestSubmissions(ctx, p.ClassID, p.AssignmentID)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp("", "corpu-assignment-*.zip")
	if err != nil {
		return fmt.Errorf("create export file: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	defer tmp.Close()
	res, err := s.writeZip(ctx, tmp, a, subs)
	if err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := "exports/assignments/" + p.JobID.String() + "/submissions.zip"
	if err := s.objects.Put(ctx, key, tmp, size, "application/zip"); err != nil {
		return err
	}
	return s.jobs.Succeed(ctx, p.JobID, res, key, "")
}

// writeZip writes one folder per submission: its files, its text and its
// links. A blind assignment's folders are named by submission, not learner.
func (s *Service) writeZip(ctx context.Context, w io.Writer, a Assignment, subs []Submission) (ExportResult, error) {
	zw := zip.NewWriter(w)
	res := ExportResult{Submissions: len(subs)}
	for _, sub := range subs {
		dir := fmt.Sprintf("%s-v%d/", sub.OwnerID, sub.Number)
		if a.Blind {
			dir = fmt.Sprintf("%s-v%d/", sub.ID, sub.Number)
		}
		if sub.Text != "" {
			if err := zipText(zw, dir+"text.txt", sub.Text); err != nil {
				return res, err
			}
		}
		if len(sub.Links) > 0 {
			if err := zipText(zw, dir+"links.txt", strings.Join(sub.Links, "\n")+"\n"); err != nil {
				return res, err
			}
		}
		for i, f := range sub.Files {
			if err := s.zipFile(ctx, zw, fmt.Sprintf("%s%d-%s", dir, i+1, path.Base(f.Filename)), f.FileID); err != nil {
				return res, err
			}
			res.Files++
		}
	}
	return res, zw.Close()
}

func zipText(zw *zip.Writer, name, text string) error {
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, text)
	return err
}

func (s *Service) zipFile(ctx context.Context, zw *zip.Writer, name string, fileID uuid.UUID) error {
	f, err := s.files.File(ctx, fileID)
	if err != nil {
		return fmt.Errorf("export file %s: %w", fileID, err)
	}
	r, err := s.objects.Open(ctx, f.ObjectKey)
	if err != nil {
		return fmt.Errorf("open file %s: %w", fileID, err)
	}
	defer r.Close()
	w, err := zw.Create(name)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}
