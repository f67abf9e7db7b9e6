package identity

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/job"
	"github.com/corpu/corpu/internal/platform/apperr"
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

func TestImportUsersKeepsOnlySupervisorsInThePersonsLine(t *testing.T) {
	t.Parallel()
	file := "nip,name,email,unit_code,supervisor_nip\n" +
		impNIP(1) + ",Kepala Badan,p1@agency.go.id,AGENCY,\n" +
		impNIP(2) + ",Kepala A,p2@agency.go.id,UNIT-A," + impNIP(1) + "\n" + // the agency is above unit A: kept
		impNIP(3) + ",Staf B,p3@agency.go.id,UNIT-B," + impNIP(2) + "\n" + // unit A is beside unit B: not kept
		impNIP(4) + ",Staf A,p4@agency.go.id,UNIT-A," + impNIP(2) + "\n" + // the same unit: kept
		impNIP(5) + ",Staf B2,p5@agency.go.id,UNIT-B," + impNIP(6) + "\n" + // later in the file, beside: not kept
		impNIP(6) + ",Staf A2,p6@agency.go.id,UNIT-A," + impNIP(2) + "\n"
	// In one batch the supervisors are the batch's own rows; in batches of
	// one they are earlier batches' people or, for line 6, linked at the end.
	for _, size := range []int{1000, 1} {
		t.Run(fmt.Sprintf("batches of %d", size), func(t *testing.T) {
			t.Parallel()
			f := newImpFixture(t)
			f.im.batchSize = size
			j, res := f.importCSV(t, file, false)
			if j.Status != job.StatusSucceeded || res.Created != 6 || res.Failed != 0 {
				t.Fatalf("import = %s %+v, want 6 created", j.Status, res)
			}
			for _, c := range []struct {
				nip        int
				supervisor int // 0: none
			}{{1, 0}, {2, 1}, {3, 0}, {4, 2}, {5, 0}, {6, 2}} {
				var want *uuid.UUID
				if c.supervisor != 0 {
					want = ptr(f.userByNIP(t, impNIP(c.supervisor)).ID)
				}
				if got := f.userByNIP(t, impNIP(c.nip)).SupervisorID; !sameID(got, want) {
					t.Errorf("supervisor of person %d = %v, want %v", c.nip, got, want)
				}
			}
		})
	}
}

func TestTheNextBatchSeesWhatTheBatchBeingRecordedClaimed(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	claims := fileClaims{db: f.db, jobID: uuid.New(), analyzeAt: firstAnalyze, now: time.Now}
	// The batch before claimed line 2's NIP and line 3's address; the
	// statement recording it has not reached the table yet.
	bayu := uuid.New()
	claims.recorded = &recordedBatch{
		nipLine:   map[uint64]int{2: 2, 3: 3},
		emailLine: map[string]int{"bayu@agency.go.id": 2, "citra@agency.go.id": 3},
		people:    map[uint64]uuid.UUID{2: bayu},
		done:      make(chan error, 1),
	}
	batch := []importRow{
		{line: 10, nip: 2, in: UserInput{Email: "lain@agency.go.id"}},
		{line: 11, nip: 11, in: UserInput{Email: "citra@agency.go.id"}},
		{line: 12, nip: 12, in: UserInput{Email: "dewi@agency.go.id"}},
	}
	if err := claims.check(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]apperr.FieldError{errNIPInFile(2), errEmailInFile(3), nil} {
		if got := batch[i].errs; !reflect.DeepEqual(got, want) || batch[i].claims != (want == nil) {
			t.Errorf("line %d: errors %v, claims %t; want %v", batch[i].line, got, batch[i].claims, want)
		}
	}
	people, err := claims.people(context.Background(), []uint64{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != 1 || people[2] != bayu {
		t.Errorf("people = %v, want only the supervisor the batch being recorded brought in (%v)", people, bayu)
	}
	claims.recorded.done <- errors.New("recording failed")
	if err := claims.waitRecorded(); err == nil || claims.recorded != nil {
		t.Errorf("waitRecorded = %v with %v still in flight, want the recording's error and none in flight", err, claims.recorded)
	}
}
