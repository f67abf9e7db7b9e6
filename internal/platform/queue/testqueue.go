package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/corpu/corpu/internal/platform/config"
)

// NewTestRedis returns a Redis client and a namespace of the test's own: every
// queue the test uses is prefixed by it, and deleted when the test ends.
func NewTestRedis(t testing.TB) (redis.UniversalClient, Names) {
	t.Helper()
	addr := os.Getenv("CORPU_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb, err := OpenRedis(context.Background(), config.Redis{Addr: addr})
	if err != nil {
		t.Fatalf("test redis: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	names := NewNames("test-" + hex.EncodeToString(b))
	t.Cleanup(func() {
		inspector := asynq.NewInspectorFromRedisClient(rdb)
		for q := range names.All() {
			_ = inspector.DeleteQueue(q, true)
		}
		_ = rdb.Close()
	})
	return rdb, names
}
