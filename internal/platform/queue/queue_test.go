package queue

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestAsynqsSharedClientNoticeAtShutdownIsNoError(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := slogAdapter{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	a.Error("Failed to close redis client connection: redis connection is shared so the Client can't be closed through asynq")
	if buf.Len() != 0 {
		t.Errorf("log = %q, want nothing at info level and above", buf.String())
	}
	a.Error("Dequeue error: connection refused")
	if !strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("log = %q, want other errors logged as errors", buf.String())
	}
}
