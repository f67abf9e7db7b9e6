package job

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/web"
)

func newTestService(t *testing.T) (*Service, *database.DB, *objectstore.Store) {
	t.Helper()
	db := database.NewTestDB(t)
	objects := objectstore.NewTestStore(t)
	return NewService(db, objects), db, objects
}

func asUser() context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.New()})
}

func asPlatformAdmin() context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.New(),
		Grants: []authz.Grant{{ID: uuid.New(), Role: authz.RolePlatformAdmin}}})
}

type params struct {
	FileID uuid.UUID `json:"file_id"`
}

func TestJobExistsOnlyWhenTheTransactionThatCreatesItCommits(t *testing.T) {
	t.Parallel()
	svc, db, _ := newTestService(t)
	ctx := asUser()
	org := uuid.New()

	var rolledBack Job
	_ = db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		if rolledBack, err = svc.Create(ctx, "user_import", authz.UserImport, org, params{FileID: uuid.New()}); err != nil {
			t.Fatalf("Create: %v", err)
		}
		return errors.New("the change that caused it failed")
	})
	if _, err := svc.Get(ctx, rolledBack.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(rolled back job) = %v, want ErrNotFound", err)
	}

	file := uuid.New()
	var created Job
	if err := db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		created, err = svc.Create(ctx, "user_import", authz.UserImport, org, params{FileID: file})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Get(ctx, created.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	actor, _ := authz.ActorFrom(ctx)
	var p params
	if err := json.Unmarshal(got.Params, &p); err != nil || p.FileID != file {
		t.Errorf("Get().Params = %s, want the file id", got.Params)
	}
	if got.Status != StatusQueued || got.OwnerID != actor.UserID || got.OrgID != org || got.Kind != "user_import" || got.StartedAt != nil {
		t.Errorf("Get() = %+v, want a queued user_import job of the caller", got)
	}
	if _, err := svc.Create(context.Background(), "user_import", authz.UserImport, org, nil); apperr.KindOf(err) != apperr.KindUnauthorized {
		t.Errorf("Create(not signed in) = %v, want 401", err)
	}
}

func TestTaskHandlerLifecycle(t *testing.T) {
	t.Parallel()
	svc, _, _ := newTestService(t)
	ctx := asUser()
	j, err := svc.Create(ctx, "export", "", uuid.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	worker := context.Background() // a task handler has no caller

	started, err := svc.Start(worker, j.ID)
	if err != nil || started.Status != StatusRunning || started.StartedAt == nil {
		t.Fatalf("Start() = %+v, %v; want running", started, err)
	}
	again, err := svc.Start(worker, j.ID) // a retry after a crash runs again
	if err != nil || !again.StartedAt.Equal(*started.StartedAt) {
		t.Errorf("Start(running) = %+v, %v; want running, first start kept", again, err)
	}
	if err := svc.Progress(worker, j.ID, 500, 1000); err != nil {
		t.Fatalf("Progress: %v", err)
	}
	if got, _ := svc.Get(ctx, j.ID); got.Done != 500 || got.Total != 1000 {
		t.Errorf("Get() progress = %d/%d, want 500/1000", got.Done, got.Total)
	}
	if err := svc.Succeed(worker, j.ID, map[string]int{"created": 3}, "jobs/x/result.csv", "jobs/x/errors.csv"); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	done, _ := svc.Get(ctx, j.ID)
	var result map[string]int
	_ = json.Unmarshal(done.Result, &result)
	if done.Status != StatusSucceeded || done.FinishedAt == nil || result["created"] != 3 ||
		done.ResultKey != "jobs/x/result.csv" || done.ErrorReportKey != "jobs/x/errors.csv" {
		t.Errorf("Get(after Succeed) = %+v, want succeeded with the result and keys", done)
	}

	// A task delivered again after the job finished does nothing.
	if _, err := svc.Start(worker, j.ID); !errors.Is(err, ErrFinished) {
		t.Errorf("Start(succeeded) = %v, want ErrFinished", err)
	}
	if err := svc.Succeed(worker, j.ID, map[string]int{"created": 0}, "", ""); err != nil {
		t.Errorf("Succeed(again) = %v, want nil", err)
	}
	if err := svc.Fail(worker, j.ID, "late failure"); err != nil {
		t.Errorf("Fail(succeeded) = %v, want nil", err)
	}
	if after, _ := svc.Get(ctx, j.ID); after.Status != StatusSucceeded || string(after.Result) != string(done.Result) || !after.FinishedAt.Equal(*done.FinishedAt) {
		t.Errorf("Get(after redelivery) = %+v, want it unchanged", after)
	}

	failing, _ := svc.Create(ctx, "export", "", uuid.New(), nil)
	if _, err := svc.Start(worker, failing.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Fail(worker, failing.ID, "the file has no header row"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.Get(ctx, failing.ID); got.Status != StatusFailed || got.Error != "the file has no header row" || got.FinishedAt == nil {
		t.Errorf("Get(after Fail) = %+v, want failed with the message", got)
	}
}

func TestOnlyTheOwnerOrAPlatformAdminSeesAJob(t *testing.T) {
	t.Parallel()
	svc, _, _ := newTestService(t)
	owner := asUser()
	j, err := svc.Create(owner, "export", "", uuid.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// An org admin of the job's organisation is still not its owner.
	orgAdmin := authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.New(),
		Grants: []authz.Grant{{ID: uuid.New(), Role: authz.RoleOrgAdmin, OrgID: j.OrgID, OrgPath: "/" + j.OrgID.String() + "/"}}})
	for name, ctx := range map[string]context.Context{"another user": asUser(), "org admin": orgAdmin} {
		if _, err := svc.Get(ctx, j.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%s) = %v, want ErrNotFound", name, err)
		}
		if _, err := svc.Cancel(ctx, j.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Cancel(%s) = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := svc.Get(asPlatformAdmin(), j.ID); err != nil {
		t.Errorf("Get(platform admin) = %v, want the job", err)
	}
	if _, err := svc.Get(context.Background(), j.ID); apperr.KindOf(err) != apperr.KindUnauthorized {
		t.Errorf("Get(not signed in) = %v, want 401", err)
	}
	if _, err := svc.Get(owner, uuid.New()); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(no such job) = %v, want ErrNotFound", err)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	svc, _, _ := newTestService(t)
	owner := asUser()
	worker := context.Background()

	queued, _ := svc.Create(owner, "export", "", uuid.New(), nil)
	cancelled, err := svc.Cancel(owner, queued.ID)
	if err != nil || cancelled.Status != StatusCancelled || cancelled.FinishedAt == nil {
		t.Fatalf("Cancel(queued) = %+v, %v; want cancelled", cancelled, err)
	}
	if _, err := svc.Start(worker, queued.ID); !errors.Is(err, ErrFinished) {
		t.Errorf("Start(cancelled) = %v, want ErrFinished so the task does nothing", err)
	}
	if _, err := svc.Cancel(owner, queued.ID); apperr.KindOf(err) != apperr.KindConflict {
		t.Errorf("Cancel(cancelled) = %v, want 409", err)
	}

	running, _ := svc.Create(owner, "export", "", uuid.New(), nil)
	if _, err := svc.Start(worker, running.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Cancel(owner, running.ID); err != nil {
		t.Fatalf("Cancel(running) = %v", err)
	}
	if err := svc.Progress(worker, running.ID, 10, 100); !errors.Is(err, ErrCancelled) {
		t.Errorf("Progress(cancelled) = %v, want ErrCancelled so the handler stops", err)
	}
	if err := svc.Succeed(worker, running.ID, nil, "", ""); !errors.Is(err, ErrCancelled) {
		t.Errorf("Succeed(cancelled) = %v, want ErrCancelled", err)
	}
	if got, _ := svc.Get(owner, running.ID); got.Status != StatusCancelled {
		t.Errorf("status after a late Succeed = %s, want cancelled", got.Status)
	}
}

func TestJobEndpoints(t *testing.T) {
	t.Parallel()
	svc, _, objects := newTestService(t)
	owner := asUser()
	actor, _ := authz.ActorFrom(owner)
	j, _ := svc.Create(owner, "user_import", authz.UserImport, uuid.New(), nil)
	worker := context.Background()
	if _, err := svc.Start(worker, j.ID); err != nil {
		t.Fatal(err)
	}
	report := "line,nip,field,message\n3,123,nip,NIP harus terdiri dari 18 angka\n"
	key := "jobs/" + j.ID.String() + "/errors.csv"
	if err := objects.Put(worker, key, strings.NewReader(report), int64(len(report)), "text/csv"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Progress(worker, j.ID, 2, 2); err != nil {
		t.Fatal(err)
	}
	if err := svc.Succeed(worker, j.ID, map[string]int{"created": 1, "failed": 1}, "", key); err != nil {
		t.Fatal(err)
	}
	other, _ := svc.Create(owner, "export", "", uuid.New(), nil)

	e := web.New(web.Options{
		Config: config.HTTP{BodyLimitBytes: 1 << 20, RequestTimeoutSeconds: 30},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
	})
	api := e.Group("/api/v1", func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetRequest(c.Request().WithContext(authz.WithActor(c.Request().Context(), actor)))
			return next(c)
		}
	})
	NewHandler(svc).Mount(api)
	call := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}

	rec := call("GET", Location(j.ID))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET job = %d %s, want 200", rec.Code, rec.Body)
	}
	var body struct {
		ID             uuid.UUID      `json:"id"`
		Kind           string         `json:"kind"`
		Status         string         `json:"status"`
		Progress       map[string]int `json:"progress"`
		Result         map[string]int `json:"result"`
		ResultURL      *string        `json:"result_url"`
		ErrorReportURL string         `json:"error_report_url"`
		CreatedAt      string         `json:"created_at"`
		FinishedAt     string         `json:"finished_at"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != j.ID || body.Kind != "user_import" || body.Status != "succeeded" || body.Progress["done"] != 2 || body.Progress["total"] != 2 ||
		body.Result["created"] != 1 || body.ResultURL != nil || body.ErrorReportURL == "" || body.CreatedAt == "" || body.FinishedAt == "" {
		t.Errorf("GET job = %s, want the succeeded job with its progress, result and error report URL", rec.Body)
	}
	resp, err := http.Get(body.ErrorReportURL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != report {
		t.Errorf("GET error_report_url = %d %q, want the report", resp.StatusCode, got)
	}

	if rec := call("POST", Location(other.ID)+"/cancel"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"cancelled"`) {
		t.Errorf("POST cancel = %d %s, want 200 cancelled", rec.Code, rec.Body)
	}
	if rec := call("POST", Location(j.ID)+"/cancel"); rec.Code != http.StatusConflict {
		t.Errorf("POST cancel (finished) = %d %s, want 409", rec.Code, rec.Body)
	}
	for _, path := range []string{Location(uuid.New()), "/api/v1/jobs/nope"} {
		if rec := call("GET", path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}

func TestANarrowedTokenReadsOnlyJobsOfItsScopes(t *testing.T) {
	t.Parallel()
	svc, _, _ := newTestService(t)
	owner := uuid.New()
	session := authz.WithActor(context.Background(), &authz.Actor{UserID: owner})
	imp, err := svc.Create(session, "user_import", authz.UserImport, uuid.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	own, err := svc.Create(session, "export", "", uuid.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	token := func(scopes ...authz.Permission) context.Context {
		return authz.WithActor(context.Background(), &authz.Actor{UserID: owner, Scopes: scopes})
	}
	tests := []struct {
		name  string
		ctx   context.Context
		job   Job
		allow bool
	}{
		{"a session reads an import", session, imp, true},
		{"a token with user.import reads an import", token(authz.UserImport), imp, true},
		{"a token with org.read does not read an import", token(authz.OrgRead), imp, false},
		{"a token with learning.self reads its own work", token(authz.SelfLearn), own, true},
		{"a token with org.read does not read its own work", token(authz.OrgRead), own, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.Get(tt.ctx, tt.job.ID)
			if tt.allow && err != nil {
				t.Errorf("Get = %v, want nil", err)
			}
			if !tt.allow && apperr.KindOf(err) != apperr.KindForbidden {
				t.Errorf("Get = %v, want 403", err)
			}
			_, err = svc.Cancel(tt.ctx, tt.job.ID)
			if !tt.allow && apperr.KindOf(err) != apperr.KindForbidden {
				t.Errorf("Cancel = %v, want 403", err)
			}
		})
	}
}
