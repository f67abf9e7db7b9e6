package gradebook

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
)

func TestAnExportJobWritesTheGradebookToCSVAndXLSXForItsStaff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, 1, 1)
	f.grade("learner", 0, 80, true, t0)
	f.grade("learner", 1, 65.5, true, t0)
	f.grade("learner2", 0, 30, false, t0)
	learner := f.actor["learner"].UserID.String()

	if _, err := f.svc.StartExport(f.as("instructor"), f.classID, "pdf"); apperr.KindOf(err) != apperr.KindInvalid {
		t.Errorf("StartExport(pdf) = %v, want invalid", err)
	}
	if _, err := f.svc.StartExport(f.as("learner"), f.classID, FormatCSV); apperr.KindOf(err) != apperr.KindForbidden {
		t.Errorf("StartExport by a learner = %v, want forbidden", err)
	}
	for _, format := range []string{FormatCSV, FormatXLSX} {
		t.Run(format, func(t *testing.T) {
			j, err := f.svc.StartExport(f.as("instructor"), f.classID, format)
			if err != nil {
				t.Fatal(err)
			}
			payload := ExportPayload{JobID: j.ID, ClassID: f.classID, Format: format}
			for range 2 { // a redelivered task does nothing more
				if err := f.svc.HandleExport(context.Background(), task(t, TypeExport, payload)); err != nil {
					t.Fatal(err)
				}
			}
			got, err := job.NewService(f.db, f.objects).Get(f.as("instructor"), j.ID)
			if err != nil || got.Status != job.StatusSucceeded || !strings.HasSuffix(got.ResultKey, "."+format) {
				t.Fatalf("job = %+v, %v; want succeeded with a .%s file", got, err, format)
			}
			rc, err := f.objects.Open(context.Background(), got.ResultKey)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(rc)
			rc.Close()
			lines := exportedLines(t, format, body)
			if len(lines) != 3 || len(lines[0]) != 8 || lines[0][5] != "quiz:"+f.items[0].Key {
				t.Fatalf("export = %q, want a header of 8 columns and two learners", lines)
			}
			var mine []string
			for _, l := range lines[1:] {
				if l[0] == learner {
					mine = l
				}
			}
			if mine == nil || mine[3] != "72.75" || mine[4] != "true" || mine[5] != "80" || mine[6] != "65.5" || mine[7] != "" || !strings.HasPrefix(mine[2], "Peserta ") {
				t.Errorf("learner's line = %q, want name, 72.75, true, 80, 65.5 and no attendance", mine)
			}
		})
	}
}

func exportedLines(t *testing.T, format string, body []byte) [][]string {
	t.Helper()
	if format == FormatCSV {
		var out [][]string
		for _, l := range strings.Split(strings.TrimSpace(string(body)), "\n") {
			out = append(out, strings.Split(strings.TrimRight(l, "\r"), ","))
		}
		return out
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}
