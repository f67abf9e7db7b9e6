package objectstore

import (
	"context"
	"strings"
	"testing"
)

func TestAWrongSecretSaysTheCredentialsWereRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		access    string
		secret    string
		wantWords string
	}{
		{"wrong secret", "minioadmin", "not-the-secret", "refused the credentials"},
		{"unknown access key", "nobody-here", "minioadmin", "refused the credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := TestConfig()
			cfg.AccessKey, cfg.SecretKey = tt.access, tt.secret
			_, err := Open(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantWords) || strings.Contains(err.Error(), "not reachable") {
				t.Errorf("Open() = %v, want an error saying %q and not that the server is unreachable", err, tt.wantWords)
			}
		})
	}
}
