package gradebook

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/xuri/excelize/v2"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/queue"
)

// The formats a gradebook exports to.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// JobKindExport is the kind of a gradebook export job.
const JobKindExport = "gradebook_export"

// TypeExport is the outbox job that writes a gradebook export.
const TypeExport = "gradebook:export"

// ExportPayload is the payload of TypeExport.
type ExportPayload struct {
	JobID   uuid.UUID `json:"job_id"`
	ClassID uuid.UUID `json:"class_id"`
	Format  string    `json:"format"`
}

// Learner is how an export names a learner; the identity service provides it.
type Learner struct {
	Name, NIP string
}

// StartExport queues the export of a class's gradebook, for its staff, and
// returns the job to poll; the job's result is the file, downloaded by a
// presigned URL.
func (s *Service) StartExport(ctx context.Context, classID uuid.UUID, format string) (job.Job, error) {
	c, err := s.staffOf(ctx, classID)
	if err != nil {
		return job.Job{}, err
	}
	if format != FormatCSV && format != FormatXLSX {
		return job.Job{}, apperr.Invalid("format", "harus csv atau xlsx", "must be csv or xlsx")
	}
	var j job.Job
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if j, err = s.jobs.Create(ctx, JobKindExport, authz.ClassTeach, c.OrgID, ExportPayload{ClassID: classID, Format: format}); err != nil {
			return err
		}
		_, err = s.outbox.Add(ctx, queue.Job{Type: TypeExport, Queue: queue.Low, Payload: ExportPayload{JobID: j.ID, ClassID: classID, Format: format}})
		return err
	})
	return j, err
}

// HandleExport writes an export job's file to the object store and
// finishes the job with its key; a job already over does nothing.
func (s *Service) HandleExport(ctx context.Context, t *asynq.Task) error {
	var p ExportPayload
	if err := queue.Decode(t, &p); err != nil {
		return err
	}
	if _, ok, err := job.BeginTask(ctx, s.jobs, TypeExport, p.JobID); !ok {
		return err
	}
	body, contentType, err := s.Export(ctx, p.ClassID, p.Format)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("exports/gradebook/%s/gradebook-%s.%s", p.JobID, p.ClassID, p.Format)
	if err := s.objects.Put(ctx, key, bytes.NewReader(body), int64(len(body)), contentType); err != nil {
		return fmt.Errorf("store gradebook export: %w", err)
	}
	return s.jobs.Succeed(ctx, p.JobID, map[string]any{"format": p.Format, "bytes": len(body)}, key, "")
}

// Export writes a class's gradebook as a file of format: a line per learner
// with their name, NIP, final grade, pass/fail and each item's grade.
func (s *Service) Export(ctx context.Context, classID uuid.UUID, format string) ([]byte, string, error) {
	c, err := s.classes.GradedClass(ctx, classID)
	if err != nil {
		return nil, "", err
	}
	userIDs, err := s.store.learners(ctx, classID)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.store.results(ctx, classID, userIDs)
	if err != nil {
		return nil, "", err
	}
	people, err := s.classes.Learners(ctx, userIDs)
	if err != nil {
		return nil, "", err
	}
	header := []string{"user_id", "nip", "name", "final_percent", "passed"}
	for _, it := range c.Items {
		header = append(header, it.Kind+":"+it.Key)
	}
	lines := func(yield func([]string) bool) {
		for _, u := range userIDs {
			r, ok := rows[u]
			if !ok {
				continue
			}
			if !yield(exportLine(r, people[u], c.Items)) {
				return
			}
		}
	}
	if format == FormatXLSX {
		body, err := writeXLSX(header, lines)
		return body, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", err
	}
	var buf bytes.Buffer
	w := csvio.NewWriter(&buf)
	if err := w.Write(header...); err != nil {
		return nil, "", err
	}
	for line := range lines {
		if err := w.Write(line...); err != nil {
			return nil, "", err
		}
	}
	w.Flush()
	return buf.Bytes(), "text/csv", w.Error()
}

func exportLine(r Row, l Learner, items []Item) []string {
	line := []string{r.UserID.String(), l.NIP, l.Name, percentText(r.FinalPercent), strconv.FormatBool(r.Passed)}
	byItem := make(map[string]*float64, len(r.Items))
	for _, it := range r.Items {
		byItem[it.Item] = it.Percent
	}
	for _, it := range items {
		line = append(line, percentText(byItem[it.Key]))
	}
	return line
}

func percentText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// writeXLSX writes one sheet through excelize's stream writer, which keeps
// memory flat however many lines there are. Cells are written as text where
// they are text, so a name never runs as a formula.
func writeXLSX(header []string, lines func(func([]string) bool)) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	row := 1
	write := func(cells []any) error {
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		row++
		return sw.SetRow(cell, cells)
	}
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = h
	}
	if err := write(head); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	for line := range lines {
		cells := make([]any, len(line))
		for i, v := range line {
			cells[i] = xlsxCell(i, v)
		}
		if err := write(cells); err != nil {
			return nil, fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return buf.Bytes(), nil
}

// xlsxCell is a cell of an export line: the grades (column 4 on) as numbers.
func xlsxCell(column int, v string) any {
	if column == 3 || column > 4 {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}
