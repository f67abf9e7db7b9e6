package upload

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/objectstore"
)

// OrgPaths resolves an organisation's path; the identity service provides it.
type OrgPaths interface {
	OrgPath(ctx context.Context, orgID uuid.UUID) (string, error)
}

// Service starts, completes and cleans up uploads, and hands other domains
// the files and their download URLs.
type Service struct {
	db      *database.DB
	store   store
	objects *objectstore.Store
	orgs    OrgPaths
	now     func() time.Time
	parts   partPlan
}

// NewService returns the upload service.
func NewService(db *database.DB, objects *objectstore.Store, orgs OrgPaths) *Service {
	return &Service{db: db, store: store{db: db}, objects: objects, orgs: orgs, now: func() time.Time { return time.Now().UTC() },
		parts: partPlan{from: defaultPartsFrom, size: defaultPartSize}}
}

// PendingTTL is how long an upload may stay pending before the clean-up
// removes it with its object.
const PendingTTL = 24 * time.Hour

func errOrgNotFound() error {
	return apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
}

// Create starts an upload: it checks the purpose, the declared type and
// size and the caller's right to upload for the organisation (by default
// their home organisation), records the upload and returns the presigned
// URL the client PUTs the bytes to.
func (s *Service) Create(ctx context.Context, in Input) (Pending, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Pending{}, err
	}
	rule, err := in.normalize()
	if err != nil {
		return Pending{}, err
	}
	if in.OrgID == uuid.Nil {
		in.OrgID = actor.HomeOrgID
	}
	if in.OrgID == uuid.Nil {
		return Pending{}, apperr.Invalid("org_id", "wajib diisi", "is required")
	}
	if err := s.authorize(ctx, actor, rule, in.OrgID); err != nil {
		return Pending{}, err
	}
	if rule.Permission == "" && !actor.MaySelf(authz.SelfLearn) {
		return Pending{}, authz.ErrForbidden // a token narrowed to other scopes does not act for its owner
	}
	now := s.now()
	id := uuid.Must(uuid.NewV7())
	row := uploadRow{
		ID: id, OwnerID: actor.UserID, OrgID: in.OrgID, Purpose: string(in.Purpose), Filename: in.Filename,
		DeclaredContentType: in.ContentType, DeclaredSize: in.Size, Status: string(StatusPending), CreatedAt: now,
		ObjectKey: fmt.Sprintf("uploads/%s/%04d/%02d/%s", in.Purpose, now.Year(), int(now.Month()), id),
	}
	if in.Size >= s.parts.from {
		return s.createInParts(ctx, row)
	}
	if err := s.store.create(ctx, row); err != nil {
		return Pending{}, err
	}
	put, err := s.objects.PresignPut(ctx, row.ObjectKey)
	if err != nil {
		return Pending{}, err
	}
	return Pending{
		UploadID: id, URL: put.URL, Method: put.Method, ExpiresAt: put.ExpiresAt,
		Headers: map[string]string{"Content-Type": in.ContentType},
	}, nil
}

// authorize checks that the actor may upload a file of the rule's purpose
// for the organisation. An organisation the actor may not see is reported
// as not found; one they see without the permission, as forbidden.
func (s *Service) authorize(ctx context.Context, actor *authz.Actor, rule Rule, orgID uuid.UUID) error {
	path, err := s.orgs.OrgPath(ctx, orgID)
	if err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return errOrgNotFound()
		}
		return err
	}
	visible := actor.Can(authz.OrgRead, path) || authz.Inside(path, actor.HomeOrgPath)
	may := visible // one's own work needs only to see the organisation
	if rule.Permission != "" {
		may = actor.Can(rule.Permission, path)
	}
	return authz.Decide(visible, may, errOrgNotFound())
}

// Complete verifies an upload of the caller against its purpose: its size,
// the type sniffed from its bytes and, when the client sends one, its
// sha256. A file that fails is removed and the upload stays pending, so the
// client may PUT again while the URL is valid. Completing a completed upload
// returns the same file.
func (s *Service) Complete(ctx context.Context, id uuid.UUID, sha256 string) (File, error) {
	return s.CompleteParts(ctx, id, sha256, nil)
}

// CompleteParts is Complete for an upload in parts: it first joins the parts
// the client uploaded (their numbers and the ETags the S3 server answered)
// into the one object, then verifies it as Complete does. Parts refused by
// the S3 server leave the upload pending; bytes refused by the verification
// are removed, and an upload in parts must then start again.
func (s *Service) CompleteParts(ctx context.Context, id uuid.UUID, sha256 string, parts []objectstore.Part) (File, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return File{}, err
	}
	sha256 = strings.ToLower(strings.TrimSpace(sha256))
	if sha256 != "" && !isHexDigest(sha256) {
		return File{}, ErrChecksumFormat
	}
	row, err := s.store.get(ctx, id)
	if err != nil {
		return File{}, err
	}
	if row.OwnerID != actor.UserID {
		return File{}, ErrUploadNotFound
	}
	if Status(row.Status) == StatusCompleted {
		return completed(row, sha256)
	}
	rule, ok := Rules[Purpose(row.Purpose)]
	if !ok {
		return File{}, fmt.Errorf("upload %s has unknown purpose %q", id, row.Purpose)
	}
	if err := s.mayComplete(ctx, actor, rule, row); err != nil {
		return File{}, err
	}
	if err := s.joinParts(ctx, row, parts); err != nil {
		return File{}, err
	}
	// The presigned PUT URL stays valid for a while after completion, so the
	// bytes are first copied to a key no URL writes to, and that copy is
	// what is verified and later served.
	fileKey := strings.Replace(row.ObjectKey, "uploads/", "files/", 1)
	if err := s.objects.Copy(ctx, row.ObjectKey, fileKey); err != nil {
		return File{}, err
	}
	v, err := s.objects.Verify(ctx, fileKey, objectstore.Expectation{
		MaxSize: rule.MaxSize, DeclaredSize: row.DeclaredSize, AllowedTypes: rule.Types, SHA256: sha256,
	})
	if err != nil {
		// The bytes must never be served. Should a removal fail, the upload
		// is still pending and the clean-up removes it later.
		_ = s.objects.Remove(ctx, fileKey)
		if rejected(err) {
			_ = s.objects.Remove(ctx, row.ObjectKey)
		}
		return File{}, err
	}
	ok, err = s.store.complete(ctx, id, fileKey, v.Size, v.ContentType, v.SHA256, s.now())
	if err != nil {
		return File{}, err
	}
	_ = s.objects.Remove(ctx, row.ObjectKey) // nothing reads the upload key any more
	// Reload either way: a concurrent completion may have won, or the
	// clean-up removed the upload while it was being verified.
	row, err = s.store.get(ctx, id)
	if err != nil {
		return File{}, err
	}
	if !ok && Status(row.Status) != StatusCompleted {
		return File{}, ErrUploadNotFound
	}
	return completed(row, sha256)
}

// mayComplete checks that the credential of the upload's owner still
// reaches its purpose: the self-service permission for one's own work, the
// purpose's permission at the upload's organisation otherwise (a narrowed
// API token carries only its scopes). The owner sees the upload: 403.
func (s *Service) mayComplete(ctx context.Context, actor *authz.Actor, rule Rule, row uploadRow) error {
	if rule.Permission == "" {
		if !actor.MaySelf(authz.SelfLearn) {
			return authz.ErrForbidden
		}
		return nil
	}
	path, err := s.orgs.OrgPath(ctx, row.OrgID)
	if err != nil && apperr.KindOf(err) != apperr.KindNotFound {
		return err
	}
	if err != nil || !actor.Can(rule.Permission, path) {
		return authz.ErrForbidden
	}
	return nil
}

func completed(row uploadRow, sha256 string) (File, error) {
	f := row.toFile()
	if sha256 != "" && sha256 != f.SHA256 {
		return File{}, objectstore.ErrChecksumMismatch
	}
	return f, nil
}

// rejected reports whether verification failed because of the bytes
// themselves, as opposed to a missing object or a failed dependency.
func rejected(err error) bool {
	for _, target := range []error{objectstore.ErrTooLarge, objectstore.ErrSizeMismatch,
		objectstore.ErrTypeNotAllowed, objectstore.ErrChecksumMismatch} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// File returns a completed file without authorizing: the domain that refers
// to the file decides who may use it.
func (s *Service) File(ctx context.Context, id uuid.UUID) (File, error) {
	row, err := s.store.get(ctx, id)
	if errors.Is(err, ErrUploadNotFound) {
		return File{}, ErrFileNotFound
	}
	if err != nil {
		return File{}, err
	}
	if Status(row.Status) != StatusCompleted {
		return File{}, ErrFileNotFound
	}
	return row.toFile(), nil
}

// DownloadURL returns a short-lived URL to download a completed file,
// offered under filename (the uploaded name when empty). It does not
// authorize: call it only for a caller the owning domain has authorized.
func (s *Service) DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (objectstore.Presigned, error) {
	f, err := s.File(ctx, fileID)
	if err != nil {
		return objectstore.Presigned{}, err
	}
	if filename == "" {
		filename = f.Filename
	}
	return s.objects.PresignGet(ctx, f.ObjectKey, filename)
}

// cleanupBatch bounds the uploads one clean-up transaction removes.
const cleanupBatch = 100

// Cleanup removes the uploads still pending that were started before
// cutoff, object and row, and returns how many it removed. Running it twice
// removes nothing more; a completion racing with it either wins or finds the
// upload gone.
func (s *Service) Cleanup(ctx context.Context, cutoff time.Time) (int, error) {
	removed := 0
	for {
		n := 0
		err := s.db.WithTx(ctx, func(ctx context.Context) error {
			rows, err := s.store.claimExpired(ctx, cutoff, cleanupBatch)
			if err != nil {
				return err
			}
			n = len(rows)
			if n == 0 {
				return nil
			}
			ids := make([]uuid.UUID, 0, n)
			for _, r := range rows {
				if r.MultipartID != nil {
					if err := s.objects.AbortMultipart(ctx, r.ObjectKey, *r.MultipartID); err != nil {
						return err
					}
				}
				if err := s.objects.Remove(ctx, r.ObjectKey); err != nil {
					return err
				}
				ids = append(ids, r.ID)
			}
			return s.store.delete(ctx, ids)
		})
		if err != nil {
			return removed, err
		}
		removed += n
		if n < cleanupBatch {
			return removed, s.sweepStrayUploads(ctx, cutoff)
		}
	}
}

// sweepStrayUploads removes bytes left under upload keys by clients that
// kept writing to a presigned URL after its upload was completed (completed
// files live under their own key, so nothing reads these).
func (s *Service) sweepStrayUploads(ctx context.Context, cutoff time.Time) error {
	keys, err := s.objects.ExpiredBefore(ctx, "uploads/", cutoff)
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := s.objects.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}
