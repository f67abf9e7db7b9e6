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

// testRedisAddr is the Redis the tests use: CORPU_TEST_REDIS_ADDR, or the
// local one.
func testRedisAddr() string {
	if addr := os.Getenv("CORPU_TEST_REDIS_ADDR"); addr != "" {
		return addr
	}
	return "127.0.0.1:6379"
}

// NewTestRedis returns a Redis client and a namespace of the test's own: every
// queue the test uses is prefixed by it, and deleted when the test ends.
func NewTestRedis(t testing.TB) (redis.UniversalClient, Names) {
	t.Helper()
	rdb, err := OpenRedis(context.Background(), config.Redis{Addr: testRedisAddr()})
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
