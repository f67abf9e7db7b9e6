package identity

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/csvio"
)

// errorReport collects the refused rows in a CSV on local disk, so memory
// stays flat however many rows fail.
type errorReport struct {
	f     *os.File
	w     *csvio.Writer
	lines int
}

func newErrorReport() (*errorReport, error) {
	f, err := os.CreateTemp("", "corpu-import-errors-*.csv")
	if err != nil {
		return nil, fmt.Errorf("create error report: %w", err)
	}
	w := csvio.NewWriter(f)
	_ = w.Write(reportHeader...)
	return &errorReport{f: f, w: w}, nil
}

// reportHeader names the error report's columns: the line of the file, the
// NIP as written, the column as the file's header named it, the field in the
// API's terms, and the reason in Indonesian (pesan) and English (message),
// whatever the language of the request that started the import.
var reportHeader = []string{"line", "nip", "column", "field", "pesan", "message"}

// add reports fields of the row at line; column gives a field's header in
// the file ("" for a field that is no column, such as the row itself).
func (e *errorReport) add(line int, rawNIP string, fields []apperr.FieldError, column func(field string) string) {
	for _, f := range fields {
		_ = e.w.Write(strconv.Itoa(line), rawNIP, column(f.Field), f.Field, f.Message.ID, f.Message.EN)
		e.lines++
	}
}

func (e *errorReport) discard() {
	if e == nil {
		return
	}
	_ = e.f.Close()
	_ = os.Remove(e.f.Name())
}

// uploadReport stores the error report next to the job, when there is one.
func (r *importRun) uploadReport(ctx context.Context) error {
	if r.report.lines == 0 {
		return nil
	}
	r.report.w.Flush()
	if err := r.report.w.Error(); err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	size, err := r.report.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	if _, err := r.report.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("write error report: %w", err)
	}
	key := "jobs/" + r.job.ID.String() + "/errors.csv"
	if err := r.im.objects.Put(ctx, key, r.report.f, size, "text/csv; charset=utf-8"); err != nil {
		return err
	}
	r.reportKey = key
	return nil
}

// audit records the import as one entry, with its counts.
func (r *importRun) audit(ctx context.Context) error {
	if r.params.DryRun || r.actor == nil {
		return nil
	}
	return r.im.svc.audit.Record(ctx, authz.UserImport, audit.Change{Action: "user.import", EntityType: "job",
		EntityID: r.job.ID.String(), OrgID: r.root.ID, OrgPath: r.root.Path,
		After: map[string]any{"file_id": r.params.FileID, "counts": r.res, "status": "succeeded"}})
}

// auditPartial records an import that stopped after writing some people.
func (r *importRun) auditPartial(ctx context.Context) error {
	if r.params.DryRun || r.actor == nil || r.res.Created+r.res.Updated == 0 {
		return nil
	}
	return r.im.svc.db.WithTx(r.ctx(ctx), func(ctx context.Context) error {
		return r.im.svc.audit.Record(ctx, authz.UserImport, audit.Change{Action: "user.import", EntityType: "job",
			EntityID: r.job.ID.String(), OrgID: r.root.ID, OrgPath: r.root.Path,
			After: map[string]any{"file_id": r.params.FileID, "counts": r.res, "status": "stopped"}})
	})
}

// countingReader counts the bytes read through it, to estimate progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
