package upload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/web"
	"github.com/corpu/corpu/internal/upload"
)

// fixture is an upload service on a database and bucket of the test's own,
// with an agency and a second, unrelated one.
type fixture struct {
	db      *database.DB
	objects *objectstore.Store
	svc     *upload.Service
	agency  identity.Organization
	other   identity.Organization
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := database.NewTestDB(t)
	objects := objectstore.NewTestStore(t)
	ids := identity.NewService(db, audit.NewService(db, nil))
	admin := authz.WithActor(context.Background(), &authz.Actor{UserID: uuid.New(),
		Grants: []authz.Grant{{ID: uuid.New(), Role: authz.RolePlatformAdmin}}})
	mkOrg := func(code string) identity.Organization {
		t.Helper()
		o, err := ids.CreateOrg(admin, identity.OrgInput{Kind: identity.KindAgency, Code: code, Name: "Badan " + code})
		if err != nil {
			t.Fatalf("CreateOrg(%s): %v", code, err)
		}
		return o
	}
	return &fixture{db: db, objects: objects, svc: upload.NewService(db, objects, ids), agency: mkOrg("BKN"), other: mkOrg("LAN")}
}

// as returns a context in which a new user holds role at org.
func as(role authz.Role, org identity.Organization) context.Context {
	return authz.WithActor(context.Background(), &authz.Actor{
		UserID: uuid.New(), HomeOrgID: org.ID, HomeOrgPath: org.Path,
		Grants: []authz.Grant{{ID: uuid.New(), Role: role, OrgID: org.ID, OrgPath: org.Path}},
	})
}

// put sends body to the presigned URL as a client would.
func put(t *testing.T, p upload.Pending, body []byte) {
	t.Helper()
	req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT presigned URL: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT presigned URL = %d %s, want 200", resp.StatusCode, msg)
	}
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func wantKind(t *testing.T, call string, err error, kind apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); err == nil || got != kind {
		t.Fatalf("%s = %v (status %d), want status %d", call, err, got.Status(), kind.Status())
	}
}

func TestUploadRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)

	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "Modul 1.pdf",
		ContentType: "application/pdf", Size: int64(len(pdf)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if p.Method != http.MethodPut || p.URL == "" || p.Headers["Content-Type"] != "application/pdf" || !p.ExpiresAt.After(time.Now()) {
		t.Fatalf("Create() = %+v, want a PUT URL with the content type and a future expiry", p)
	}
	if _, err := f.svc.File(ctx, p.UploadID); !errors.Is(err, upload.ErrFileNotFound) {
		t.Errorf("File(pending) = %v, want ErrFileNotFound", err)
	}
	put(t, p, pdf)

	file, err := f.svc.Complete(ctx, p.UploadID, strings.ToUpper(digest(pdf)))
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if file.ID != p.UploadID || file.Size != int64(len(pdf)) || file.ContentType != "application/pdf" || file.SHA256 != digest(pdf) ||
		file.Filename != "Modul 1.pdf" || file.Purpose != upload.PurposeCourseDocument || file.OrgID != f.agency.ID {
		t.Errorf("Complete() = %+v, want the verified PDF", file)
	}
	again, err := f.svc.Complete(ctx, p.UploadID, "")
	if err != nil || again != file {
		t.Errorf("Complete(again) = %+v, %v; want the same file", again, err)
	}
	if got, err := f.svc.File(context.Background(), file.ID); err != nil || got != file {
		t.Errorf("File() = %+v, %v; want %+v", got, err, file)
	}

	dl, err := f.svc.DownloadURL(context.Background(), file.ID, "")
	if err != nil {
		t.Fatalf("DownloadURL: %v", err)
	}
	resp, err := http.Get(dl.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) || !strings.Contains(resp.Header.Get("Content-Disposition"), "Modul 1.pdf") {
		t.Errorf("GET download URL = %d %q (disposition %q), want the PDF as Modul 1.pdf", resp.StatusCode, body, resp.Header.Get("Content-Disposition"))
	}
}

func TestCSVDeclaredByAnyCommonNameIsStoredAsText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleOrgAdmin, f.agency)
	csv := []byte("nip,name,email\n198503122010011003,Budi,budi@bkn.go.id\n")
	for _, declared := range []string{"text/csv", "application/vnd.ms-excel", "text/csv; charset=utf-8"} {
		p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "pegawai.csv",
			ContentType: declared, Size: int64(len(csv)), OrgID: f.agency.ID})
		if err != nil {
			t.Fatalf("Create(%s): %v", declared, err)
		}
		put(t, p, csv)
		file, err := f.svc.Complete(ctx, p.UploadID, digest(csv))
		if err != nil || file.ContentType != "text/plain" {
			t.Errorf("Complete(CSV declared %s) = %+v, %v; want sniffed text/plain", declared, file, err)
		}
	}
}

func TestCompleteRefusesBadBytesAndCompletesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	bigImage := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 10*upload.MiB)...) // 8 bytes over 10 MiB

	tests := []struct {
		name     string
		purpose  upload.Purpose
		declared string
		size     int64 // declared
		body     []byte
		sha256   string
		want     apperr.Kind
	}{
		{"html declared as pdf", upload.PurposeCourseDocument, "application/pdf", int64(len(html)), html, "", apperr.KindUnsupported},
		{"checksum mismatch", upload.PurposeCourseDocument, "application/pdf", int64(len(pdf)), pdf, digest([]byte("other")), apperr.KindInvalid},
		{"more bytes than declared", upload.PurposeCourseDocument, "application/pdf", int64(len(pdf)) - 1, pdf, "", apperr.KindInvalid},
		{"over the limit", upload.PurposeCourseImage, "image/png", 10 * upload.MiB, bigImage, "", apperr.KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.svc.Create(ctx, upload.Input{Purpose: tt.purpose, Filename: "x", ContentType: tt.declared, Size: tt.size, OrgID: f.agency.ID})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			put(t, p, tt.body)
			_, err = f.svc.Complete(ctx, p.UploadID, tt.sha256)
			wantKind(t, "Complete", err, tt.want)
			if _, err := f.svc.File(ctx, p.UploadID); !errors.Is(err, upload.ErrFileNotFound) {
				t.Errorf("File(after refused completion) = %v, want ErrFileNotFound", err)
			}
			var key string
			if err := f.db.Conn(ctx).Raw("SELECT object_key FROM uploads WHERE id = ? AND status = 'pending'", p.UploadID).Scan(&key).Error; err != nil || key == "" {
				t.Fatalf("upload row after refusal: key %q, %v; want it still pending", key, err)
			}
			if _, err := f.objects.Open(ctx, key); !errors.Is(err, objectstore.ErrObjectMissing) {
				t.Errorf("Open(refused object) = %v, want ErrObjectMissing: refused bytes must be removed", err)
			}
		})
	}
}

func TestCreateChecksBeforeTheBytesAreSent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	instructor := as(authz.RoleInstructor, f.agency)
	tests := []struct {
		name string
		ctx  context.Context
		in   upload.Input
		want apperr.Kind
	}{
		{"over the limit", instructor, upload.Input{Purpose: upload.PurposeCourseVideo, Filename: "kuliah.mp4", ContentType: "video/mp4", Size: 2*upload.GiB + 1, OrgID: f.agency.ID}, apperr.KindTooLarge},
		{"type not allowed", instructor, upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.gif", ContentType: "image/gif", Size: 10, OrgID: f.agency.ID}, apperr.KindUnsupported},
		{"unknown purpose", instructor, upload.Input{Purpose: "avatar", Filename: "a.png", ContentType: "image/png", Size: 10, OrgID: f.agency.ID}, apperr.KindInvalid},
		{"path in filename", instructor, upload.Input{Purpose: upload.PurposeCourseImage, Filename: "../etc/passwd", ContentType: "image/png", Size: 10, OrgID: f.agency.ID}, apperr.KindInvalid},
		{"empty file", instructor, upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.png", ContentType: "image/png", Size: 0, OrgID: f.agency.ID}, apperr.KindInvalid},
		{"no media permission", as(authz.RoleLearner, f.agency), upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.png", ContentType: "image/png", Size: 10, OrgID: f.agency.ID}, apperr.KindForbidden},
		{"no import permission", instructor, upload.Input{Purpose: upload.PurposeUserImport, Filename: "a.csv", ContentType: "text/csv", Size: 10, OrgID: f.agency.ID}, apperr.KindForbidden},
		{"org not visible", instructor, upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.png", ContentType: "image/png", Size: 10, OrgID: f.other.ID}, apperr.KindInvalid},
		{"org missing", instructor, upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.png", ContentType: "image/png", Size: 10, OrgID: uuid.New()}, apperr.KindInvalid},
		{"not signed in", context.Background(), upload.Input{Purpose: upload.PurposeCourseImage, Filename: "a.png", ContentType: "image/png", Size: 10, OrgID: f.agency.ID}, apperr.KindUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Create(tt.ctx, tt.in)
			wantKind(t, "Create", err, tt.want)
		})
	}
	// A learner submits project work for their own organisation without a
	// media permission; the assignment domain authorizes the submission.
	p, err := f.svc.Create(as(authz.RoleLearner, f.agency), upload.Input{Purpose: upload.PurposeAssignmentSubmission,
		Filename: "laporan.pdf", ContentType: "application/pdf", Size: 10})
	if err != nil || p.UploadID == uuid.Nil {
		t.Errorf("Create(assignment submission, home org) = %+v, %v; want a pending upload", p, err)
	}
}

func TestSomeoneElsesUploadIsNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := as(authz.RoleInstructor, f.agency)
	p, err := f.svc.Create(owner, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "a.pdf", ContentType: "application/pdf", Size: int64(len(pdf))})
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, pdf)
	_, err = f.svc.Complete(as(authz.RoleInstructor, f.agency), p.UploadID, "")
	if !errors.Is(err, upload.ErrUploadNotFound) {
		t.Errorf("Complete(someone else's upload) = %v, want ErrUploadNotFound", err)
	}
	_, err = f.svc.Complete(as(authz.RolePlatformAdmin, f.agency), uuid.New(), "")
	if !errors.Is(err, upload.ErrUploadNotFound) {
		t.Errorf("Complete(no such upload) = %v, want ErrUploadNotFound", err)
	}
	if _, err := f.svc.Complete(owner, p.UploadID, ""); err != nil {
		t.Errorf("Complete(owner) = %v, want it completed", err)
	}
}

func TestCompleteBeforeTheBytesArriveKeepsTheUploadPending(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "a.pdf", ContentType: "application/pdf", Size: int64(len(pdf))})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Complete(ctx, p.UploadID, "")
	if !errors.Is(err, objectstore.ErrObjectMissing) {
		t.Fatalf("Complete(nothing sent) = %v, want ErrObjectMissing", err)
	}
	put(t, p, pdf)
	if _, err := f.svc.Complete(ctx, p.UploadID, digest(pdf)); err != nil {
		t.Errorf("Complete(after the PUT) = %v, want it completed", err)
	}
}

func TestCleanupRemovesOnlyOldPendingUploads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)
	start := func(body []byte, complete bool, age time.Duration) (upload.Pending, string) {
		t.Helper()
		p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "a.pdf", ContentType: "application/pdf", Size: int64(len(body))})
		if err != nil {
			t.Fatal(err)
		}
		put(t, p, body)
		if complete {
			if _, err := f.svc.Complete(ctx, p.UploadID, ""); err != nil {
				t.Fatal(err)
			}
		}
		var key string
		if err := f.db.Conn(ctx).Raw("UPDATE uploads SET created_at = now() - ?::interval WHERE id = ? RETURNING object_key",
			age.String(), p.UploadID).Scan(&key).Error; err != nil {
			t.Fatal(err)
		}
		return p, key
	}
	oldPending, oldPendingKey := start(pdf, false, 25*time.Hour)
	_, newPendingKey := start(pdf, false, time.Hour)
	oldDone, oldDoneKey := start(pdf, true, 48*time.Hour)

	cutoff := time.Now().Add(-upload.PendingTTL)
	for run := 1; run <= 2; run++ {
		n, err := f.svc.Cleanup(context.Background(), cutoff)
		if want := map[int]int{1: 1, 2: 0}[run]; err != nil || n != want {
			t.Fatalf("Cleanup(run %d) = %d, %v; want %d removed", run, n, err, want)
		}
	}
	if _, err := f.objects.Open(ctx, oldPendingKey); !errors.Is(err, objectstore.ErrObjectMissing) {
		t.Errorf("Open(old pending object) = %v, want ErrObjectMissing", err)
	}
	for _, key := range []string{newPendingKey, oldDoneKey} {
		r, err := f.objects.Open(ctx, key)
		if err != nil {
			t.Errorf("Open(%s) = %v, want it kept", key, err)
			continue
		}
		_ = r.Close()
	}
	var ids []uuid.UUID
	if err := f.db.Conn(ctx).Raw("SELECT id FROM uploads").Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 {
		t.Errorf("uploads after clean-up = %v, want the recent pending one and the completed one", ids)
	}
	if _, err := f.svc.Complete(ctx, oldPending.UploadID, ""); !errors.Is(err, upload.ErrUploadNotFound) {
		t.Errorf("Complete(cleaned up) = %v, want ErrUploadNotFound", err)
	}
	if _, err := f.svc.File(ctx, oldDone.UploadID); err != nil {
		t.Errorf("File(old completed) = %v, want it kept", err)
	}
	// The periodic task runs the same clean-up.
	if err := f.svc.HandleCleanup(context.Background(), nil); err != nil {
		t.Errorf("HandleCleanup = %v", err)
	}
}

func TestUploadEndpoints(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	actor, _ := authz.ActorFrom(as(authz.RoleInstructor, f.agency))
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
	upload.NewHandler(f.svc).Mount(api)
	call := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	rec := call("POST", "/api/v1/uploads", `{"purpose":"course_document","filename":"a.pdf","content_type":"application/pdf","size":`+
		strconv.Itoa(len(pdf))+`,"org_id":"`+f.agency.ID.String()+`"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /uploads = %d %s, want 201", rec.Code, rec.Body)
	}
	var pending struct {
		UploadID  uuid.UUID         `json:"upload_id"`
		URL       string            `json:"url"`
		Method    string            `json:"method"`
		Headers   map[string]string `json:"headers"`
		ExpiresAt time.Time         `json:"expires_at"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &pending); err != nil {
		t.Fatal(err)
	}
	put(t, upload.Pending{UploadID: pending.UploadID, URL: pending.URL, Method: pending.Method, Headers: pending.Headers}, pdf)

	rec = call("POST", "/api/v1/uploads/"+pending.UploadID.String()+"/complete", `{"sha256":"`+digest([]byte("x"))+`"}`)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "upload.checksum_mismatch") {
		t.Errorf("POST complete (bad checksum) = %d %s, want 422 upload.checksum_mismatch", rec.Code, rec.Body)
	}
	put(t, upload.Pending{URL: pending.URL, Method: pending.Method, Headers: pending.Headers}, pdf)
	rec = call("POST", "/api/v1/uploads/"+pending.UploadID.String()+"/complete", "")
	var file map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &file)
	if rec.Code != http.StatusOK || file["file_id"] != pending.UploadID.String() || file["sha256"] != digest(pdf) || file["content_type"] != "application/pdf" {
		t.Errorf("POST complete = %d %s, want 200 with the file", rec.Code, rec.Body)
	}
	if rec := call("POST", "/api/v1/uploads/not-an-id/complete", ""); rec.Code != http.StatusNotFound {
		t.Errorf("POST complete (bad id) = %d, want 404", rec.Code)
	}
	rec = call("POST", "/api/v1/uploads", `{"purpose":"course_video","filename":"a.mp4","content_type":"video/mp4","size":3000000000}`)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /uploads (3 GB video) = %d %s, want 413", rec.Code, rec.Body)
	}
}

func TestWritingToTheUploadURLAfterCompletionDoesNotChangeTheFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "modul.pdf",
		ContentType: "application/pdf", Size: int64(len(pdf)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, pdf)
	file, err := f.svc.Complete(ctx, p.UploadID, "")
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	put(t, p, []byte("<html><script>alert(1)</script></html>")) // the URL is still valid

	dl, err := f.svc.DownloadURL(context.Background(), file.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(dl.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if !bytes.Equal(got, pdf) {
		t.Errorf("downloaded %q, want the verified PDF bytes", got)
	}
}

func TestCleanupSweepsBytesWrittenToAnUploadURLAfterCompletion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleInstructor, f.agency)
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "a.pdf",
		ContentType: "application/pdf", Size: int64(len(pdf)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, pdf)
	file, err := f.svc.Complete(ctx, p.UploadID, "")
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, pdf) // a client that sends the bytes twice
	var fileKey string
	if err := f.db.Conn(ctx).Raw("SELECT object_key FROM uploads WHERE id = ?", p.UploadID).Scan(&fileKey).Error; err != nil {
		t.Fatal(err)
	}
	uploadKey := strings.Replace(fileKey, "files/", "uploads/", 1)

	if _, err := f.svc.Cleanup(context.Background(), time.Now().Add(time.Minute)); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if _, err := f.objects.Open(ctx, uploadKey); !errors.Is(err, objectstore.ErrObjectMissing) {
		t.Errorf("Open(stray upload bytes) = %v, want them swept", err)
	}
	if r, err := f.objects.Open(ctx, fileKey); err != nil {
		t.Errorf("Open(completed file %s) = %v, want it kept", file.ID, err)
	} else {
		_ = r.Close()
	}
	var files int64
	f.db.Conn(ctx).Table("uploads").Where("status = 'completed'").Count(&files)
	if files != 1 {
		t.Errorf("completed uploads after the sweep = %d, want 1", files)
	}
}

func TestANarrowedTokenUploadsOnlyWithinItsScopes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	narrowed := func(role authz.Role, scopes ...authz.Permission) context.Context {
		a, _ := authz.ActorFrom(as(role, f.agency))
		a.Scopes = scopes
		return authz.WithActor(context.Background(), a)
	}
	submission := upload.Input{Purpose: upload.PurposeAssignmentSubmission, Filename: "tugas.pdf",
		ContentType: "application/pdf", Size: int64(len(pdf)), OrgID: f.agency.ID}
	media := upload.Input{Purpose: upload.PurposeCourseDocument, Filename: "Modul 1.pdf",
		ContentType: "application/pdf", Size: int64(len(pdf)), OrgID: f.agency.ID}
	tests := []struct {
		name  string
		ctx   context.Context
		in    upload.Input
		allow bool
	}{
		{"own work with learning.self", narrowed(authz.RoleLearner, authz.SelfLearn), submission, true},
		{"own work with only org.read", narrowed(authz.RoleLearner, authz.OrgRead), submission, false},
		{"media with media.upload", narrowed(authz.RoleInstructor, authz.MediaUpload), media, true},
		{"media with only org.read", narrowed(authz.RoleInstructor, authz.OrgRead), media, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Create(tt.ctx, tt.in)
			if tt.allow && err != nil {
				t.Fatalf("Create = %v, want nil", err)
			}
			if !tt.allow {
				wantKind(t, "Create", err, apperr.KindForbidden)
			}
		})
	}
	// An upload begun in a session is not completed by a narrowed token of the same person.
	session := as(authz.RoleLearner, f.agency)
	p, err := f.svc.Create(session, submission)
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, pdf)
	a, _ := authz.ActorFrom(session)
	token := *a
	token.Scopes = []authz.Permission{authz.OrgRead}
	_, err = f.svc.Complete(authz.WithActor(context.Background(), &token), p.UploadID, "")
	wantKind(t, "Complete(narrowed token)", err, apperr.KindForbidden)
	if _, err := f.svc.Complete(session, p.UploadID, ""); err != nil {
		t.Errorf("Complete(session) = %v, want nil", err)
	}
}
