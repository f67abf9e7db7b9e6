package database

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

// syncBuffer is a log destination safe for the pool's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestFailedAndSlowStatementsAreLoggedWithPlaceholdersNotValues(t *testing.T) {
	t.Parallel()
	const email, nip = "budi.rahasia@diskominfo.bandung.go.id", "199204172019031004"
	tests := []struct {
		name       string
		logValues  bool
		wantValues bool
	}{
		{"by default", false, false},
		{"in development at log level debug", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			adminURL := testAdminURL()
			var out syncBuffer
			log := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
			db, err := Open(context.Background(), config.Database{URL: adminURL, MaxOpenConns: 2, MaxIdleConns: 1, LogValues: tt.logValues}, log)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			// A failed statement is logged at ERROR, a slow one at WARN.
			var n int
			_ = db.Conn(ctx).Raw("SELECT count(*) FROM no_such_users WHERE email = ? AND nip = ?", email, nip).Scan(&n).Error
			if err := db.Conn(ctx).Exec("SELECT pg_sleep(0.25), ?::text, ?::text", email, nip).Error; err != nil {
				t.Fatal(err)
			}
			logged := out.String()
			if !strings.Contains(logged, "no_such_users") || !strings.Contains(logged, "pg_sleep") {
				t.Fatalf("log = %s, want the failed and the slow statement", logged)
			}
			for _, v := range []string{email, nip} {
				if got := strings.Contains(logged, v); got != tt.wantValues {
					t.Errorf("log holds %q = %v, want %v; log:\n%s", v, got, tt.wantValues, logged)
				}
			}
			if !tt.wantValues && !strings.Contains(logged, "$1") {
				t.Errorf("log = %s, want the statements with their placeholders", logged)
			}
		})
	}
}
