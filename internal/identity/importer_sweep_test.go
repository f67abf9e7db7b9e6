package identity

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/job"

	"github.com/corpu/corpu/internal/platform/authz"
)

func TestTheSweepRemovesTheClaimsOfImportsNoLongerRunningAndKeepsTheOthers(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	ctx, worker := f.admin, context.Background()
	now := time.Now().UTC()
	f.svc.now = func() time.Time { return now }
	exec := func(q string, args ...any) {
		t.Helper()
		if err := f.db.Conn(worker).Exec(q, args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	newJob := func() uuid.UUID {
		t.Helper()
		j, err := f.jobs.Create(ctx, JobKindUserImport, authz.UserImport, f.orgs["AGENCY"].ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.jobs.Start(worker, j.ID); err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	ended := func(ago time.Duration) uuid.UUID {
		id := newJob()
		if err := f.jobs.Fail(worker, id, "the process died"); err != nil {
			t.Fatal(err)
		}
		exec("UPDATE jobs SET finished_at = ? WHERE id = ?", now.Add(-ago), id)
		return id
	}
	beat := func(id uuid.UUID, ago time.Duration) {
		exec("INSERT INTO import_runs (job_id, heartbeat_at) VALUES (?, ?)", id, now.Add(-ago))
	}

	tests := []struct {
		name   string
		job    uuid.UUID
		claims bool
		kept   bool
	}{
		{name: "a job over for two hours", job: ended(2 * time.Hour), claims: true},
		{name: "a job over for ten minutes", job: ended(10 * time.Minute), claims: true, kept: true},
		{name: "a job gone", job: uuid.Must(uuid.NewV7()), claims: true},
		{name: "an attempt alive five minutes ago", job: newJob(), claims: true, kept: true},
		{name: "an attempt silent for two hours", job: newJob(), claims: true},
		{name: "a running job without any sign of life", job: newJob(), claims: true, kept: true},
		{name: "a sign of life two hours old, no claims", job: newJob()},
	}
	beat(tests[3].job, 5*time.Minute)
	beat(tests[4].job, 2*time.Hour)
	beat(tests[6].job, 2*time.Hour)
	for i, tt := range tests {
		if tt.claims {
			for n := range 3 {
				exec("INSERT INTO import_claims (job_id, nip, email, line) VALUES (?, ?, ?, ?)",
					tt.job, impNIP(10*i+n), fmt.Sprintf("p%d-%d@agency.go.id", i, n), n+2)
			}
		}
	}

	swept, err := f.im.SweepClaims(worker)
	if err != nil {
		t.Fatal(err)
	}
	if swept != 4 {
		t.Errorf("SweepClaims = %d jobs, want 4", swept)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := f.count(t, "SELECT count(*) FROM import_claims WHERE job_id = ?", tt.job)
			runs := f.count(t, "SELECT count(*) FROM import_runs WHERE job_id = ? AND heartbeat_at < ?", tt.job, now.Add(-claimsGrace))
			switch {
			case tt.kept && claims != 3:
				t.Errorf("claims = %d, want the 3 kept", claims)
			case !tt.kept && (claims != 0 || runs != 0):
				t.Errorf("claims = %d, stale signs of life = %d; want both removed", claims, runs)
			}
		})
	}
	if again, err := f.im.SweepClaims(worker); err != nil || again != 0 {
		t.Errorf("SweepClaims again = %d, %v; want nothing left to do", again, err)
	}
}

// watchingJobs is the real job service that counts, at each progress
// report, the import's signs of life.
type watchingJobs struct {
	*job.Service
	f     *impFixture
	t     *testing.T
	beats []int64
}

func (w *watchingJobs) Progress(ctx context.Context, id uuid.UUID, done, total int) error {
	w.beats = append(w.beats, w.f.count(w.t, "SELECT count(*) FROM import_runs WHERE job_id = ?", id))
	return w.Service.Progress(ctx, id, done, total)
}

func TestAnImportShowsASignOfLifeWhileItRunsAndNoneOnceItEnds(t *testing.T) {
	t.Parallel()
	f := newImpFixture(t)
	watch := &watchingJobs{Service: f.jobs, f: f, t: t}
	f.im.jobs = watch
	j, res := f.importCSV(t, "nip,name,email,unit_code\n"+impNIP(1)+",Ani,ani@agency.go.id,UNIT-A\n", false)
	if res.Created != 1 {
		t.Fatalf("import = %+v, want 1 created", res)
	}
	if len(watch.beats) == 0 || watch.beats[0] != 1 {
		t.Errorf("signs of life at each progress report = %v, want 1 while it ran", watch.beats)
	}
	if n := f.count(t, "SELECT count(*) FROM import_runs WHERE job_id = ?", j.ID); n != 0 {
		t.Errorf("signs of life left = %d, want 0", n)
	}
	if n := f.count(t, "SELECT count(*) FROM import_claims WHERE job_id = ?", j.ID); n != 0 {
		t.Errorf("claims left = %d, want 0", n)
	}
}
