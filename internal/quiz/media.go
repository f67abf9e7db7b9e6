package quiz

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/upload"
)

// MediaURLs hands out short-lived download URLs of uploaded files; the
// upload service provides it (without authorizing: the quiz decides).
type MediaURLs interface {
	DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (objectstore.Presigned, error)
}

// SetMedia plugs in what question media need: the uploads (read for their
// purpose and organisation) and their download URLs. Call it before serving.
func (s *Service) SetMedia(files ImportFiles, urls MediaURLs) {
	s.mediaFiles, s.mediaURLs = files, urls
}

// MediaLink is a medium of a question as an attempt hands it out.
type MediaLink struct {
	FileID      uuid.UUID
	ContentType string
	URL         string
	ExpiresAt   time.Time
}

// checkMedia checks that every file a question names is a completed upload
// of purpose question_media for the bank's own organisation, and records
// each one's type. A file of another organisation is not found, as it is
// for its owner's strangers.
func (s *Service) checkMedia(ctx context.Context, sc bankScope, c *Content) error {
	if len(c.Media) == 0 {
		return nil
	}
	if s.mediaFiles == nil {
		return errors.New("quiz: question media are not configured")
	}
	for i, m := range c.Media {
		field := fmt.Sprintf("media[%d].file_id", i)
		f, err := s.mediaFiles.File(ctx, m.FileID)
		if apperr.KindOf(err) == apperr.KindNotFound || err == nil && f.OrgID != sc.bank.OrgID {
			return apperr.Invalid(field, "berkas unggahan tidak ditemukan", "uploaded file not found")
		}
		if err != nil {
			return err
		}
		if f.Purpose != upload.PurposeQuestionMedia {
			return apperr.Invalid(field, "berkas tidak diunggah untuk soal (purpose question_media)",
				"the file was not uploaded for a question (purpose question_media)")
		}
		c.Media[i].ContentType = f.ContentType
	}
	return nil
}

// mediaLinks gives each slot that shows media its download URLs. It is
// called only for a caller who may see the attempt's questions.
func (s *Service) mediaLinks(ctx context.Context, slots []Slot) error {
	for i := range slots {
		media := slots[i].Content.Media
		if len(media) == 0 || s.mediaURLs == nil {
			continue
		}
		links := make([]MediaLink, 0, len(media))
		for _, m := range media {
			p, err := s.mediaURLs.DownloadURL(ctx, m.FileID, "")
			if err != nil {
				return fmt.Errorf("question media %s: %w", m.FileID, err)
			}
			links = append(links, MediaLink{FileID: m.FileID, ContentType: m.ContentType, URL: p.URL, ExpiresAt: p.ExpiresAt})
		}
		slots[i].Media = links
	}
	return nil
}
