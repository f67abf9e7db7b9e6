package upload

import (
	"context"
	"net/http"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/objectstore"
)

// partPlan decides which uploads go in parts and how large the parts are.
type partPlan struct {
	from int64 // uploads of at least this many bytes go in parts
	size int64 // the size of every part but the last, before S3's bound on their number
}

// The default plan sends files of 64 MiB and more in parts of 16 MiB (a
// 2 GiB file in 128): one PUT of hundreds of megabytes that fails near its
// end starts over, a part only itself, and parts may go up side by side.
const (
	defaultPartsFrom = 64 * MiB
	defaultPartSize  = 16 * MiB
)

// SetParts makes uploads of at least from bytes go in parts of size bytes
// (at least S3's minimum of 5 MiB); tests use it to send small files in parts.
func (s *Service) SetParts(from, size int64) {
	s.parts = partPlan{from: from, size: max(size, objectstore.MinPartSize)}
}

// partSize is the size of the parts of an upload of total bytes: the plan's,
// or larger when the plan's would make more parts than S3 allows.
func (p partPlan) partSize(total int64) int64 {
	return max(p.size, (total+objectstore.MaxParts-1)/objectstore.MaxParts)
}

// createInParts records an upload that goes in parts and returns a URL for
// each part.
func (s *Service) createInParts(ctx context.Context, row uploadRow) (Pending, error) {
	multipartID, err := s.objects.StartMultipart(ctx, row.ObjectKey, row.DeclaredContentType)
	if err != nil {
		return Pending{}, err
	}
	row.MultipartID = &multipartID
	if err := s.store.create(ctx, row); err != nil {
		_ = s.objects.AbortMultipart(context.WithoutCancel(ctx), row.ObjectKey, multipartID)
		return Pending{}, err
	}
	size := s.parts.partSize(row.DeclaredSize)
	p := Pending{UploadID: row.ID, Method: http.MethodPut, Headers: map[string]string{}, PartSize: size}
	for n := 1; int64(n-1)*size < row.DeclaredSize; n++ {
		u, err := s.objects.PresignPart(ctx, row.ObjectKey, multipartID, n)
		if err != nil {
			return Pending{}, err
		}
		p.Parts = append(p.Parts, PartURL{Number: n, URL: u.URL})
		p.ExpiresAt = u.ExpiresAt
	}
	return p, nil
}

// joinParts joins the parts of an upload in parts into its object; an
// upload sent in one PUT takes no parts.
func (s *Service) joinParts(ctx context.Context, row uploadRow, parts []objectstore.Part) error {
	if row.MultipartID == nil {
		if len(parts) > 0 {
			return apperr.Invalid("parts", "hanya untuk unggahan yang dikirim per bagian", "only for an upload sent in parts")
		}
		return nil
	}
	if err := checkParts(parts); err != nil {
		return err
	}
	return s.objects.CompleteMultipart(ctx, row.ObjectKey, *row.MultipartID, parts)
}

// checkParts checks what needs no S3 server: parts are named in ascending
// order, each once, with the ETag its PUT was answered with.
func checkParts(parts []objectstore.Part) error {
	if len(parts) == 0 {
		return apperr.Invalid("parts", "wajib diisi untuk unggahan yang dikirim per bagian: nomor dan ETag setiap bagian",
			"is required for an upload sent in parts: each part's number and ETag")
	}
	for i, p := range parts {
		if p.Number < 1 || p.Number > objectstore.MaxParts || (i > 0 && p.Number <= parts[i-1].Number) || p.ETag == "" {
			return apperr.Invalid("parts", "nomor bagian harus naik mulai 1, masing-masing dengan ETag-nya",
				"part numbers must ascend from 1, each with its ETag")
		}
	}
	return nil
}
