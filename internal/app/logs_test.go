package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/identity"
	"github.com/corpu/corpu/internal/platform/config"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/mail"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/platform/queue"
)

// logBuffer collects a process's log lines; the pool and handlers write to it
// from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLoggingTestServer is NewTestServer with the default configuration's log
// level and every log line of the process, GORM's included, kept in out.
func newLoggingTestServer(t *testing.T, out *logBuffer, env ...string) *TestServer {
	t.Helper()
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatalf("test config: %v", err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level}))
	rdb, names := queue.NewTestRedis(t)
	deps := &Deps{Config: cfg, Log: log, DB: database.NewTestDBLogging(t, log), Redis: rdb,
		Store: objectstore.NewTestStore(t), Queues: names}
	a, err := New(deps)
	if err != nil {
		t.Fatalf("wire app: %v", err)
	}
	srv := httptest.NewServer(a.HTTP())
	t.Cleanup(srv.Close)
	if err := a.Seed(context.Background()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &TestServer{Server: srv, App: a, Deps: deps}
}

// sendQueuedMail sends the mail jobs waiting in the outbox through the
// worker's handler and the configured sender, and returns their texts.
func sendQueuedMail(t *testing.T, srv *TestServer) []string {
	t.Helper()
	ctx := context.Background()
	var payloads [][]byte
	if err := srv.Deps.DB.Conn(ctx).Raw("SELECT payload FROM outbox WHERE task_type = ? ORDER BY created_at", identity.TypeSendMail).
		Scan(&payloads).Error; err != nil {
		t.Fatal(err)
	}
	handle := srv.App.auth.HandleSendMail(mail.NewSender(srv.Deps.Config.Mail, srv.Deps.Log))
	var texts []string
	for _, p := range payloads {
		if err := handle(ctx, asynq.NewTask(identity.TypeSendMail, p)); err != nil {
			t.Fatalf("send mail: %v", err)
		}
		var m identity.SendMailPayload
		if err := json.Unmarshal(p, &m); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, m.Text)
	}
	return texts
}

var resetToken = regexp.MustCompile(`cpr_[A-Za-z0-9_%-]+`)

func TestNoResetTokenEmailOrNIPReachesTheLogAtTheDefaultLevel(t *testing.T) {
	t.Parallel()
	const email, nip = "budi@diskominfo.bandung.go.id", "199204172019031004"
	var out logBuffer
	srv := newLoggingTestServer(t, &out)

	// A password reset asked for by NIP, its mail "sent" to the log.
	if s := anonymous(t, srv).do("POST", "/api/v1/auth/password-reset", map[string]string{"login": nip}, nil); s != 202 {
		t.Fatalf("password reset = %d, want 202", s)
	}
	texts := sendQueuedMail(t, srv)
	if len(texts) != 1 {
		t.Fatalf("mails queued = %d, want the one reset link", len(texts))
	}
	token := resetToken.FindString(texts[0])
	if token == "" {
		t.Fatalf("mail text %q holds no reset token", texts[0])
	}

	// A statement that fails on the values it carries: Budi's address and
	// NIP taken a second time.
	var orgID string
	if err := srv.Deps.DB.Conn(context.Background()).Raw("SELECT id FROM organizations WHERE code = 'DISKOMINFO-BANDUNG'").Scan(&orgID).Error; err != nil {
		t.Fatal(err)
	}
	admin := login(t, srv, "admin@corpu.go.id")
	body := map[string]any{"name": "Budi Kedua", "email": email, "nip": nip, "org_id": orgID}
	if s := admin.do("POST", "/api/v1/users", body, nil); s != 409 {
		t.Errorf("create a user with a taken e-mail and NIP = %d, want 409", s)
	}

	// A person opening the mailed link on the API's address, and searches by
	// address and NIP: the access log must not keep the query's values.
	if resp, err := http.Get(srv.URL + "/reset-password?token=" + url.QueryEscape(token)); err == nil {
		resp.Body.Close()
	}
	for _, q := range []string{email, nip} {
		if s := admin.do("GET", "/api/v1/users?q="+url.QueryEscape(q), nil, nil); s != 200 {
			t.Errorf("search users by %s = %d, want 200", q, s)
		}
	}

	logged := out.String()
	for _, want := range []string{"/api/v1/users?q=…", "mail not sent", "reset-password?token=cpr_", "b…@diskominfo.bandung.go.id", "SQL executed", "INSERT INTO"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log lacks %q; the test did not exercise what it means to:\n%s", want, logged)
		}
	}
	for what, secret := range map[string]string{"the reset token": token, "the e-mail address": email, "the NIP": nip} {
		if strings.Contains(logged, secret) {
			t.Errorf("%s %q reached the log:\n%s", what, secret, logged)
		}
	}
}

func TestDevelopmentLogsWholeLinksOnlyWhenAskedTo(t *testing.T) {
	t.Parallel()
	var out logBuffer
	srv := newLoggingTestServer(t, &out, "CORPU_MAIL_LOG_SECRETS=true")
	if s := anonymous(t, srv).do("POST", "/api/v1/auth/password-reset", map[string]string{"login": "rina@diskominfo.bandung.go.id"}, nil); s != 202 {
		t.Fatalf("password reset = %d, want 202", s)
	}
	texts := sendQueuedMail(t, srv)
	if len(texts) != 1 {
		t.Fatalf("mails queued = %d, want 1", len(texts))
	}
	if token := resetToken.FindString(texts[0]); token == "" || !strings.Contains(out.String(), token) {
		t.Errorf("with mail.log_secrets the log lacks the whole link's token %q:\n%s", token, out.String())
	}
}
