// Package objectstore keeps files in an S3 server (MinIO in production and in
// docker compose, the Versity S3 gateway on a bare machine) through minio-go.
// Files never pass through the API in bulk: clients upload and download with
// presigned URLs, and the API verifies an upload once it is complete.
package objectstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/cors"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/config"
)

// Store reads and writes the objects of one bucket.
type Store struct {
	client     *minio.Client
	bucket     string
	presignTTL time.Duration
}

// Open connects to the S3 server and makes sure the bucket exists.
func Open(ctx context.Context, cfg config.ObjectStore) (*Store, error) {
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("object store client: %w", err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, presignTTL: time.Duration(cfg.PresignTTLSeconds) * time.Second}
	ensureCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.ensureBucket(ensureCtx, cfg.Region); err != nil {
		if refusedCredentials(err) {
			return nil, fmt.Errorf("object store at %s refused the credentials (check objectstore.access_key and objectstore.secret_key): %w", cfg.Endpoint, err)
		}
		return nil, fmt.Errorf("object store at %s is not reachable (start it with `make services`): %w", cfg.Endpoint, err)
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", s.bucket, err)
	}
	if exists {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if resp := minio.ToErrorResponse(err); resp.Code == "BucketAlreadyOwnedByYou" || resp.Code == "BucketAlreadyExists" {
		return nil // another process created it first
	}
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Ping checks that the S3 server answers and the bucket is there.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("bucket %s is missing", s.bucket)
	}
	return nil
}

// Presigned is a URL a client may use once, until it expires.
type Presigned struct {
	URL       string
	Method    string
	ExpiresAt time.Time
}

// Origin is the scheme and host presigned URLs point at, for a page's
// Content-Security-Policy to let its scripts upload there.
func (s *Store) Origin() string {
	u := s.client.EndpointURL()
	return u.Scheme + "://" + u.Host
}

// AllowBrowserOrigins lets pages served from origins send files straight to
// the bucket with presigned URLs, and read the ETag of each part: the
// bucket's CORS rule. Presigned requests carry their own signature and no
// cookie, so the rule opens nothing without one.
func (s *Store) AllowBrowserOrigins(ctx context.Context, origins []string) error {
	rule := cors.Rule{AllowedOrigin: origins, AllowedMethod: []string{http.MethodGet, http.MethodPut, http.MethodHead},
		AllowedHeader: []string{"*"}, ExposeHeader: []string{"ETag"}, MaxAgeSeconds: 3600}
	if err := s.client.SetBucketCors(ctx, s.bucket, cors.NewConfig([]cors.Rule{rule})); err != nil {
		return fmt.Errorf("allow browser uploads to bucket %s from %v: %w", s.bucket, origins, err)
	}
	return nil
}

// PresignPut returns a URL the client PUTs the object's bytes to.
func (s *Store) PresignPut(ctx context.Context, key string) (Presigned, error) {
	u, err := s.client.PresignedPutObject(ctx, s.bucket, key, s.presignTTL)
	if err != nil {
		return Presigned{}, fmt.Errorf("presign put %s: %w", key, err)
	}
	return Presigned{URL: u.String(), Method: http.MethodPut, ExpiresAt: time.Now().Add(s.presignTTL).UTC()}, nil
}

// PresignGet returns a URL the client GETs the object from; the download is
// offered under filename.
func (s *Store) PresignGet(ctx context.Context, key, filename string) (Presigned, error) {
	params := url.Values{}
	if filename != "" {
		params.Set("response-content-disposition", fmt.Sprintf("attachment; filename=%q", sanitizeFilename(filename)))
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, s.presignTTL, params)
	if err != nil {
		return Presigned{}, fmt.Errorf("presign get %s: %w", key, err)
	}
	return Presigned{URL: u.String(), Method: http.MethodGet, ExpiresAt: time.Now().Add(s.presignTTL).UTC()}, nil
}

// Put stores bytes the server produced itself (certificate PDFs, reports).
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if _, err := s.client.PutObject(ctx, s.bucket, key, r, size, minio.PutObjectOptions{ContentType: contentType}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Open returns a reader over the object, for server-side processing such as imports.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if _, err := obj.Stat(); err != nil {
		_ = obj.Close()
		if isNoSuchKey(err) {
			return nil, ErrObjectMissing
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return obj, nil
}

// Copy copies an object server-side, taking a snapshot of its bytes that
// later writes to the source cannot change.
func (s *Store) Copy(ctx context.Context, srcKey, dstKey string) error {
	_, err := s.client.CopyObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: dstKey},
		minio.CopySrcOptions{Bucket: s.bucket, Object: srcKey})
	if isNoSuchKey(err) {
		return ErrObjectMissing
	}
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", srcKey, dstKey, err)
	}
	return nil
}

// Remove deletes the object; removing one that is already gone is not an error.
func (s *Store) Remove(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !isNoSuchKey(err) {
		return fmt.Errorf("remove %s: %w", key, err)
	}
	return nil
}

// Errors of upload verification, shown to the client.
var (
	ErrObjectMissing = apperr.New(apperr.KindInvalid, "upload.missing",
		"Berkas belum diunggah ke URL yang diberikan.", "The file has not been uploaded to the given URL.")
	ErrTooLarge = apperr.New(apperr.KindTooLarge, "upload.too_large",
		"Ukuran berkas melebihi batas.", "The file is larger than allowed.")
	ErrSizeMismatch = apperr.New(apperr.KindInvalid, "upload.size_mismatch",
		"Ukuran berkas tidak sesuai dengan yang dinyatakan.", "The file size differs from the declared size.")
	ErrTypeNotAllowed = apperr.New(apperr.KindUnsupported, "upload.type_not_allowed",
		"Isi berkas tidak sesuai dengan jenis yang diizinkan.", "The file's content is not of an allowed type.")
	ErrChecksumMismatch = apperr.New(apperr.KindInvalid, "upload.checksum_mismatch",
		"Checksum SHA-256 berkas tidak cocok.", "The file's SHA-256 checksum does not match.")
)

// Expectation is what an upload must satisfy.
type Expectation struct {
	MaxSize      int64    // bytes; 0 means no limit
	DeclaredSize int64    // what the client said it would send; 0 skips the check
	AllowedTypes []string // sniffed content types accepted, e.g. "application/pdf"; empty accepts any
	SHA256       string   // hex digest the client declared; empty skips the check
}

// Verified describes an object that passed verification.
type Verified struct {
	Size        int64
	ContentType string // sniffed from the bytes, not taken from the client
	SHA256      string
}

// Verify checks an uploaded object against exp: its size, its content type
// sniffed from its first bytes, and its sha256 computed over all of it.
func (s *Store) Verify(ctx context.Context, key string, exp Expectation) (Verified, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if isNoSuchKey(err) {
			return Verified{}, ErrObjectMissing
		}
		return Verified{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if exp.MaxSize > 0 && info.Size > exp.MaxSize {
		return Verified{}, ErrTooLarge
	}
	if exp.DeclaredSize > 0 && info.Size != exp.DeclaredSize {
		return Verified{}, ErrSizeMismatch
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return Verified{}, fmt.Errorf("get %s: %w", key, err)
	}
	defer obj.Close()

	head := make([]byte, 512)
	n, err := io.ReadFull(obj, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Verified{}, fmt.Errorf("read %s: %w", key, err)
	}
	head = head[:n]
	contentType := SniffContentType(head)
	if len(exp.AllowedTypes) > 0 && !slices.Contains(exp.AllowedTypes, contentType) {
		return Verified{}, ErrTypeNotAllowed
	}
	h := sha256.New()
	h.Write(head)
	if _, err := io.Copy(h, obj); err != nil {
		return Verified{}, fmt.Errorf("read %s: %w", key, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if exp.SHA256 != "" && !strings.EqualFold(exp.SHA256, sum) {
		return Verified{}, ErrChecksumMismatch
	}
	return Verified{Size: info.Size, ContentType: contentType, SHA256: sum}, nil
}

// SniffContentType names the type of content from its first bytes, using the
// WHATWG algorithm of net/http without parameters such as charset.
func SniffContentType(head []byte) string {
	ct := http.DetectContentType(head)
	ct, _, _ = strings.Cut(ct, ";")
	return strings.TrimSpace(ct)
}

// ExpiredBefore lists the keys under prefix last modified before cutoff, for
// periodic clean-up of uploads that were never completed.
func (s *Store) ExpiredBefore(ctx context.Context, prefix string, cutoff time.Time) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list %s: %w", prefix, obj.Err)
		}
		if obj.LastModified.Before(cutoff) {
			keys = append(keys, obj.Key)
		}
	}
	return keys, nil
}

func isNoSuchKey(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == "NoSuchKey" || code == "NotFound"
}

func sanitizeFilename(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' {
			return '_'
		}
		return r
	}, name)
}
