package objectstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/corpu/corpu/internal/platform/config"
)

// NewTestStore returns a store over a bucket of the test's own on the local
// S3 server (or the one CORPU_TEST_OBJECTSTORE_ENDPOINT names); the bucket and
// everything in it is removed when the test ends.
func NewTestStore(t testing.TB) *Store {
	t.Helper()
	cfg := TestConfig()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg.Bucket = "corpu-test-" + hex.EncodeToString(b)
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open test object store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if obj.Err == nil {
				_ = s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{})
			}
		}
		if err := s.client.RemoveBucket(ctx, s.bucket); err != nil {
			t.Logf("remove test bucket %s: %v", s.bucket, err)
		}
	})
	return s
}

// TestConfig is the configuration tests use to reach the local S3 server.
func TestConfig() config.ObjectStore {
	endpoint := os.Getenv("CORPU_TEST_OBJECTSTORE_ENDPOINT")
	if endpoint == "" {
		endpoint = "127.0.0.1:9000"
	}
	return config.ObjectStore{
		Endpoint: endpoint, AccessKey: "minioadmin", SecretKey: "minioadmin",
		Region: "us-east-1", Bucket: "corpu-test", PresignTTLSeconds: 300,
	}
}
