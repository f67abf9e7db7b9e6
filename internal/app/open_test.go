package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

func TestOpenNamesTheServiceThatIsDownAndHowToStartIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		wantErr string
	}{
		{"postgres", []string{"CORPU_DATABASE_URL=postgres://postgres@127.0.0.1:1/corpu?sslmode=disable&connect_timeout=2"}, "postgres"},
		{"redis", []string{"CORPU_REDIS_ADDR=127.0.0.1:1"}, "redis"},
		{"object store", []string{"CORPU_OBJECTSTORE_ENDPOINT=127.0.0.1:1"}, "object store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load("", tt.env)
			if err != nil {
				t.Fatal(err)
			}
			deps, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				deps.Close()
				t.Fatal("Open with a service down = nil error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "make services") {
				t.Errorf("Open() error = %q, want it to name %s and say how to start it", err, tt.wantErr)
			}
		})
	}
}
