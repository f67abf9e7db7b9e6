package objectstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

var pdfBytes = append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2048)...)

func uploadThroughPresignedURL(t *testing.T, s *Store, key string, body []byte) {
	t.Helper()
	p, err := s.PresignPut(context.Background(), key)
	if err != nil {
		t.Fatalf("PresignPut: %v", err)
	}
	req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT presigned: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT presigned status = %d, want 200: %s", resp.StatusCode, b)
	}
}

func TestPresignedUploadThenVerifiedAndDownloaded(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t)
	ctx := context.Background()
	uploadThroughPresignedURL(t, s, "uploads/a.pdf", pdfBytes)
	sum := sha256.Sum256(pdfBytes)
	want := hex.EncodeToString(sum[:])

	got, err := s.Verify(ctx, "uploads/a.pdf", Expectation{
		MaxSize: 1 << 20, DeclaredSize: int64(len(pdfBytes)), AllowedTypes: []string{"application/pdf"}, SHA256: want,
	})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.SHA256 != want || got.ContentType != "application/pdf" || got.Size != int64(len(pdfBytes)) {
		t.Errorf("Verify = %+v, want pdf of %d bytes with sha %s", got, len(pdfBytes), want)
	}

	p, err := s.PresignGet(ctx, "uploads/a.pdf", "laporan akhir.pdf")
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	resp, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdfBytes) {
		t.Errorf("GET presigned = %d with %d bytes, want 200 with the uploaded bytes", resp.StatusCode, len(body))
	}
}

func TestVerifyRejectsUploadsThatBreakTheExpectation(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t)
	ctx := context.Background()
	uploadThroughPresignedURL(t, s, "uploads/fake.pdf", []byte("<html><body>not a pdf</body></html>"))
	uploadThroughPresignedURL(t, s, "uploads/real.pdf", pdfBytes)

	tests := []struct {
		name string
		key  string
		exp  Expectation
		want error
	}{
		{"never uploaded", "uploads/missing.pdf", Expectation{}, ErrObjectMissing},
		{"bytes are html, not pdf", "uploads/fake.pdf", Expectation{AllowedTypes: []string{"application/pdf"}}, ErrTypeNotAllowed},
		{"larger than the limit", "uploads/real.pdf", Expectation{MaxSize: 100}, ErrTooLarge},
		{"size differs from declared", "uploads/real.pdf", Expectation{DeclaredSize: 7}, ErrSizeMismatch},
		{"checksum differs", "uploads/real.pdf", Expectation{SHA256: "00"}, ErrChecksumMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Verify(ctx, tt.key, tt.exp)
			if !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %v, want %v", tt.key, err, tt.want)
			}
		})
	}
}

func TestServerWrittenObjectsCanBeReadListedAndRemoved(t *testing.T) {
	t.Parallel()
	s := NewTestStore(t)
	ctx := context.Background()
	if err := s.Put(ctx, "pending/x.csv", bytes.NewReader([]byte("a,b\n")), 4, "text/csv"); err != nil {
		t.Fatalf("Put: %v", err)
	}
	r, err := s.Open(ctx, "pending/x.csv")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	b, _ := io.ReadAll(r)
	r.Close()
	if string(b) != "a,b\n" {
		t.Errorf("Open read %q, want %q", b, "a,b\n")
	}
	old, err := s.ExpiredBefore(ctx, "pending/", time.Now().Add(time.Minute))
	if err != nil || len(old) != 1 || old[0] != "pending/x.csv" {
		t.Errorf("ExpiredBefore(future) = %v, %v; want [pending/x.csv]", old, err)
	}
	fresh, err := s.ExpiredBefore(ctx, "pending/", time.Now().Add(-time.Hour))
	if err != nil || len(fresh) != 0 {
		t.Errorf("ExpiredBefore(past) = %v, %v; want none", fresh, err)
	}
	if err := s.Copy(ctx, "pending/x.csv", "files/x.csv"); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if err := s.Put(ctx, "pending/x.csv", bytes.NewReader([]byte("changed")), 7, "text/csv"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Verify(ctx, "files/x.csv", Expectation{DeclaredSize: 4}); err != nil || v.Size != 4 {
		t.Errorf("Verify(copy) = %+v, %v; want the 4 bytes copied before the source changed", v, err)
	}
	if err := s.Copy(ctx, "pending/none.csv", "files/none.csv"); !errors.Is(err, ErrObjectMissing) {
		t.Errorf("Copy(missing) = %v, want ErrObjectMissing", err)
	}
	if err := s.Remove(ctx, "pending/x.csv"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := s.Open(ctx, "pending/x.csv"); !errors.Is(err, ErrObjectMissing) {
		t.Errorf("Open after Remove = %v, want ErrObjectMissing", err)
	}
	if err := s.Remove(ctx, "pending/x.csv"); err != nil {
		t.Errorf("Remove twice = %v, want nil", err)
	}
}
