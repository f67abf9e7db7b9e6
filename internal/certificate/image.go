package certificate

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// ImageFile is an uploaded file as templates use it; the upload service
// provides it.
type ImageFile struct {
	OrgID       uuid.UUID
	ContentType string // sniffed: image/png or image/jpeg
	ObjectKey   string
	// CertificateImage: the file was uploaded for certificate templates.
	CertificateImage bool
}

// Images finds uploaded files without authorizing; the upload service
// provides it. An unknown or incomplete file is an error of kind NotFound.
type Images interface {
	ImageFile(ctx context.Context, fileID uuid.UUID) (ImageFile, error)
}

// image is an image ready to draw.
type image struct {
	data []byte
	kind string // fpdf's image type: PNG or JPG
}

// imageCache keeps the bytes of template images, which never change once
// uploaded, so that a bulk issue reads each from the object store once.
type imageCache struct {
	mu     sync.Mutex
	images map[uuid.UUID]image
}

// maxCachedImages bounds the cache; past it, it starts again.
const maxCachedImages = 512

// checkImages names every image of a template that is not a certificate
// image of the template's institute.
func (s *Service) checkImages(ctx context.Context, in TemplateInput) error {
	v := &apperr.Validation{}
	check := func(field string, id *uuid.UUID) {
		if id == nil || s.images == nil {
			return
		}
		f, err := s.images.ImageFile(ctx, *id)
		if err != nil || !f.CertificateImage || f.OrgID != in.OrgID {
			v.Add(field, "Pilih gambar yang diunggah untuk sertifikat lembaga ini (certificate_image).",
				"Choose an image uploaded for this institute's certificates (certificate_image).")
		}
	}
	check("logo_file_id", in.LogoFileID)
	check("background_file_id", in.BackgroundFileID)
	for i, sig := range in.Signatories {
		check(fmt.Sprintf("signatories[%d].signature_file_id", i), sig.SignatureFileID)
	}
	return v.Err()
}

// image returns the bytes of a template image; nil id is no image.
func (s *Service) image(ctx context.Context, id *uuid.UUID) (*image, error) {
	if id == nil || s.images == nil {
		return nil, nil
	}
	s.imageCache.mu.Lock()
	cached, ok := s.imageCache.images[*id]
	s.imageCache.mu.Unlock()
	if ok {
		return &cached, nil
	}
	f, err := s.images.ImageFile(ctx, *id)
	if err != nil {
		return nil, fmt.Errorf("template image %s: %w", *id, err)
	}
	r, err := s.objects.Open(ctx, f.ObjectKey)
	if err != nil {
		return nil, fmt.Errorf("template image %s: %w", *id, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read template image %s: %w", *id, err)
	}
	img := image{data: data, kind: "PNG"}
	if f.ContentType == "image/jpeg" {
		img.kind = "JPG"
	}
	s.imageCache.mu.Lock()
	if len(s.imageCache.images) >= maxCachedImages {
		s.imageCache.images = map[uuid.UUID]image{}
	}
	s.imageCache.images[*id] = img
	s.imageCache.mu.Unlock()
	return &img, nil
}

// sheetImages are the images one certificate draws.
type sheetImages struct {
	logo, background *image
	signatures       []*image // by signatory
}

func (s *Service) sheetImages(ctx context.Context, t Template) (sheetImages, error) {
	var out sheetImages
	var err error
	if out.logo, err = s.image(ctx, t.LogoFileID); err != nil {
		return out, err
	}
	if out.background, err = s.image(ctx, t.BackgroundFileID); err != nil {
		return out, err
	}
	for _, sig := range t.Signatories {
		img, err := s.image(ctx, sig.SignatureFileID)
		if err != nil {
			return out, err
		}
		out.signatures = append(out.signatures, img)
	}
	return out, nil
}
