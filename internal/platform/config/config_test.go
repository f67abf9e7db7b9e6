package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadUsesDefaultsThatValidate(t *testing.T) {
	cfg, err := Load("", nil)
	if err != nil {
		t.Fatalf("Load defaults: %v", err)
	}
	if cfg.HTTP.Addr != ":8080" {
		t.Errorf("HTTP.Addr = %q, want :8080", cfg.HTTP.Addr)
	}
}

func TestLoadEnvironmentOverridesFileAndDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "corpu.yaml")
	if err := os.WriteFile(path, []byte("http:\n  addr: \":9090\"\nredis:\n  db: 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, []string{
		"CORPU_REDIS_DB=5",
		"CORPU_HTTP_CORS_ORIGINS=https://a.go.id, https://b.go.id",
		"CORPU_OBJECTSTORE_USE_TLS=true",
		"OTHER_VAR=1",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.HTTP.Addr != ":9090" {
		t.Errorf("HTTP.Addr = %q, want :9090 from the file", cfg.HTTP.Addr)
	}
	if cfg.Redis.DB != 5 {
		t.Errorf("Redis.DB = %d, want 5 from the environment", cfg.Redis.DB)
	}
	if got := strings.Join(cfg.HTTP.CORSOrigins, "|"); got != "https://a.go.id|https://b.go.id" {
		t.Errorf("CORSOrigins = %q", got)
	}
	if !cfg.ObjectStore.UseTLS {
		t.Error("ObjectStore.UseTLS = false, want true")
	}
}

func TestLoadRejectsBadValuesNamingTheKey(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		file    string
		wantKey string
	}{
		{"not a number", []string{"CORPU_REDIS_DB=abc"}, "", "CORPU_REDIS_DB"},
		{"not a bool", []string{"CORPU_OBJECTSTORE_USE_TLS=maybe"}, "", "CORPU_OBJECTSTORE_USE_TLS"},
		{"bad log level", []string{"CORPU_LOG_LEVEL=loud"}, "", "log.level"},
		{"wrong database scheme", []string{"CORPU_DATABASE_URL=mysql://x"}, "", "database.url"},
		{"endpoint with scheme", []string{"CORPU_OBJECTSTORE_ENDPOINT=http://x:9000"}, "", "objectstore.endpoint"},
		{"production without key", []string{"CORPU_ENV=production"}, "", "auth.signing_key_file"},
		{"no outbox retention", []string{"CORPU_QUEUE_OUTBOX_RETENTION_HOURS=0"}, "", "queue.outbox_retention_hours"},
		{"redelivery sooner than tasks can run", []string{"CORPU_QUEUE_REDELIVER_AFTER_SECONDS=1"}, "", "queue.redeliver_after_seconds"},
		{"worker metrics address without a port", []string{"CORPU_WORKER_METRICS_ADDR=localhost"}, "", "worker.metrics_addr"},
		{"production without SMTP", []string{"CORPU_ENV=production", "CORPU_AUTH_SIGNING_KEY_FILE=/k.pem"}, "", "mail.smtp_addr"},
		{"production logging mail secrets", []string{"CORPU_ENV=production", "CORPU_AUTH_SIGNING_KEY_FILE=/k.pem",
			"CORPU_MAIL_SMTP_ADDR=mail:25", "CORPU_MAIL_LOG_SECRETS=true"}, "", "mail.log_secrets"},
		{"password hashing without memory", []string{"CORPU_AUTH_PASSWORD_MEMORY_KIB=4"}, "", "auth.password_memory_kib"},
		{"password hashing without passes", []string{"CORPU_AUTH_PASSWORD_ITERATIONS=0"}, "", "auth.password_iterations"},
		{"negative save grace", []string{"CORPU_QUIZ_SAVE_GRACE_SECONDS=-1"}, "", "quiz.save_grace_seconds"},
		{"no attempt starts at all", []string{"CORPU_QUIZ_MAX_CONCURRENT_STARTS=0"}, "", "quiz.max_concurrent_starts"},
		{"no attempt submits at all", []string{"CORPU_QUIZ_MAX_CONCURRENT_SUBMITS=0"}, "", "quiz.max_concurrent_submits"},
		{"unknown key in file", nil, "htp:\n  addr: x\n", "htp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), "c.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Load(path, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("Load() error = %v, want one naming %s", err, tt.wantKey)
			}
		})
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	cfg, err := Load("", []string{
		"CORPU_DATABASE_URL=postgres://app:hunter2@db:5432/corpu",
		"CORPU_OBJECTSTORE_SECRET_KEY=s3cr3t",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Redacted()
	for k, v := range r {
		s, _ := v.(string)
		if strings.Contains(s, "hunter2") || strings.Contains(s, "s3cr3t") {
			t.Errorf("Redacted()[%s] = %q leaks a secret", k, s)
		}
	}
	if r["objectstore_secret_key"] != "***" {
		t.Errorf("objectstore_secret_key = %v, want ***", r["objectstore_secret_key"])
	}
}
