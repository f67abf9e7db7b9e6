package identity

import (
	"context"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/upload"
)

func TestDuplicatesAndSupervisorsAreFoundAcrossBatchesOfAnySize(t *testing.T) {
	t.Parallel()
	var want ImportResult
	var wantReport []string
	for _, size := range []int{1000, 1, 2, 3} {
		f := newImpFixture(t)
		f.seedOthers(t)
		f.im.batchSize = size
		j, res := f.importCSV(t, mixedCSV(), false)
		report := f.errorReport(t, j)
		if size == 1000 {
			want, wantReport = res, report
			continue
		}
		if j.Status != job.StatusSucceeded || res != want || strings.Join(report, "|") != strings.Join(wantReport, "|") {
			t.Errorf("batches of %d = %s %+v %v, want %+v %v as in one batch", size, j.Status, res, report, want, wantReport)
		}
		if ani := f.userByNIP(t, impNIP(1)); ani.SupervisorID == nil || *ani.SupervisorID != f.userByNIP(t, impNIP(2)).ID {
			t.Errorf("batches of %d: Ani's supervisor = %v, want Bayu, who comes later in the file", size, ani.SupervisorID)
		}
	}
}

func TestAnImportThatStartsAgainForgetsItsEarlierAttemptAndLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	f.seedOthers(t)
	file := f.upload(t, f.admin, upload.PurposeUserImport, []byte(mixedCSV()))
	j, err := f.im.Start(f.admin, ImportInput{FileID: file.ID, OrgID: f.orgs["AGENCY"].ID, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	// An earlier attempt, cut short, claimed Ani's NIP and e-mail on a line
	// of its own.
	if err := f.db.Conn(context.Background()).Exec(`INSERT INTO import_claims (job_id, nip, email, line) VALUES (?, ?, 'ani@agency.go.id', 99)`,
		j.ID, impNIP(1)).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.im.Run(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	_, res := f.finished(t, j.ID)
	if res.Created != 4 {
		t.Errorf("result = %+v, want the 4 good rows created as on a first attempt", res)
	}
	if n := f.count(t, "SELECT count(*) FROM import_claims WHERE job_id = ?", j.ID); n != 0 {
		t.Errorf("claims left after the import = %d, want 0", n)
	}
}
