package objectstore

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// S3's bounds on a multipart upload.
const (
	// MinPartSize is the smallest part but the last.
	MinPartSize int64 = 5 << 20
	// MaxParts is the most parts one upload may have.
	MaxParts = 10_000
)

// Part is a part the client uploaded: its number (from 1) and the ETag the
// S3 server answered the part's PUT with.
type Part struct {
	Number int
	ETag   string
}

// ErrPartsInvalid is the S3 server's refusal of the parts a client named on
// completion: a part missing, an ETag that is not the part's, a part smaller
// than S3 allows; the client may upload the parts again and complete again.
var ErrPartsInvalid = apperr.New(apperr.KindInvalid, "upload.parts_invalid",
	"Bagian-bagian berkas tidak lengkap atau tidak cocok dengan yang diunggah.",
	"The file's parts are incomplete or do not match what was uploaded.")

func (s *Store) core() minio.Core { return minio.Core{Client: s.client} }

// StartMultipart begins a multipart upload to key and returns its id.
func (s *Store) StartMultipart(ctx context.Context, key, contentType string) (string, error) {
	id, err := s.core().NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: contentType})
	if err != nil {
		return "", fmt.Errorf("start multipart upload %s: %w", key, err)
	}
	return id, nil
}

// PresignPart returns the URL the client PUTs part number of the multipart
// upload id to; the S3 server answers that PUT with the part's ETag.
func (s *Store) PresignPart(ctx context.Context, key, id string, number int) (Presigned, error) {
	params := url.Values{"partNumber": {strconv.Itoa(number)}, "uploadId": {id}}
	u, err := s.client.Presign(ctx, http.MethodPut, s.bucket, key, s.presignTTL, params)
	if err != nil {
		return Presigned{}, fmt.Errorf("presign part %d of %s: %w", number, key, err)
	}
	return Presigned{URL: u.String(), Method: http.MethodPut, ExpiresAt: time.Now().Add(s.presignTTL).UTC()}, nil
}

// CompleteMultipart joins the parts into the object at key. An upload the
// server no longer knows is complete when its object is there (a completion
// that succeeded before its caller heard back); otherwise the object is
// missing.
func (s *Store) CompleteMultipart(ctx context.Context, key, id string, parts []Part) error {
	complete := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		complete[i] = minio.CompletePart{PartNumber: p.Number, ETag: p.ETag}
	}
	_, err := s.core().CompleteMultipartUpload(ctx, s.bucket, key, id, complete, minio.PutObjectOptions{})
	switch code := minio.ToErrorResponse(err).Code; {
	case err == nil:
		return nil
	case code == "NoSuchUpload":
		if _, statErr := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{}); statErr == nil {
			return nil
		}
		return ErrObjectMissing
	case code == "InvalidPart" || code == "InvalidPartOrder" || code == "EntityTooSmall" || code == "MalformedXML":
		return ErrPartsInvalid
	default:
		return fmt.Errorf("complete multipart upload %s: %w", key, err)
	}
}

// AbortMultipart drops a multipart upload and its parts; aborting one the
// server no longer knows is not an error.
func (s *Store) AbortMultipart(ctx context.Context, key, id string) error {
	err := s.core().AbortMultipartUpload(ctx, s.bucket, key, id)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return fmt.Errorf("abort multipart upload %s: %w", key, err)
	}
	return nil
}
