package certificate

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm/clause"

	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

type store struct{ db *database.DB }

type certificateRow struct {
	ID               uuid.UUID
	Serial           string
	OrgID            uuid.UUID
	EnrolmentID      uuid.UUID
	ClassID          uuid.UUID
	CourseID         uuid.UUID
	UserID           uuid.UUID
	TemplateID       *uuid.UUID
	Source           string
	Reason           string
	Facts            string
	KeyID            string
	Signature        string
	PDFKey           string `gorm:"column:pdf_key"`
	PDFSHA256        string `gorm:"column:pdf_sha256"`
	IssuedBy         *uuid.UUID
	IssuedAt         time.Time
	ExpiresAt        *time.Time
	RevokedAt        *time.Time
	RevokedBy        *uuid.UUID
	RevocationReason string
	ReplacesID       *uuid.UUID
	SupersededBy     *uuid.UUID
	RemindedAt       *time.Time
}

func (certificateRow) TableName() string { return "certificates" }

func toRow(c Certificate) certificateRow {
	return certificateRow{ID: c.ID, Serial: c.Serial, OrgID: c.OrgID, EnrolmentID: c.EnrolmentID, ClassID: c.ClassID,
		CourseID: c.CourseID, UserID: c.UserID, TemplateID: c.TemplateID, Source: string(c.Source), Reason: c.Reason,
		Facts: string(c.Facts), KeyID: c.KeyID, Signature: c.Signature, PDFKey: c.PDFKey, PDFSHA256: c.PDFSHA256,
		IssuedBy: c.IssuedBy, IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt, RevokedAt: c.RevokedAt, RevokedBy: c.RevokedBy,
		RevocationReason: c.RevocationReason, ReplacesID: c.ReplacesID, SupersededBy: c.SupersededBy, RemindedAt: c.RemindedAt}
}

func (r certificateRow) toCertificate() Certificate {
	return Certificate{ID: r.ID, Serial: r.Serial, OrgID: r.OrgID, EnrolmentID: r.EnrolmentID, ClassID: r.ClassID,
		CourseID: r.CourseID, UserID: r.UserID, TemplateID: r.TemplateID, Source: Source(r.Source), Reason: r.Reason,
		Facts: []byte(r.Facts), KeyID: r.KeyID, Signature: r.Signature, PDFKey: r.PDFKey, PDFSHA256: r.PDFSHA256,
		IssuedBy: r.IssuedBy, IssuedAt: r.IssuedAt.UTC(), ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, RevokedBy: r.RevokedBy,
		RevocationReason: r.RevocationReason, ReplacesID: r.ReplacesID, SupersededBy: r.SupersededBy, RemindedAt: r.RemindedAt}
}

func toCertificates(rows []certificateRow) []Certificate {
	out := make([]Certificate, len(rows))
	for i, r := range rows {
		out[i] = r.toCertificate()
	}
	return out
}

// nextSerial takes the next number of an institute's year. It runs on the
// pool, outside the caller's transaction, so that issuing for one institute
// does not queue on the counter while PDFs render; a number taken by an
// issue that then fails is never given again, so serials may skip a number.
func (s store) nextSerial(ctx context.Context, orgID uuid.UUID, year int) (int, error) {
	var n int
	err := s.db.Conn(context.Background()).WithContext(ctx).Raw(
		`INSERT INTO certificate_serials (org_id, year, last) VALUES (?, ?, 1)
		 ON CONFLICT (org_id, year) DO UPDATE SET last = certificate_serials.last + 1 RETURNING last`, orgID, year).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("next certificate serial: %w", err)
	}
	return n, nil
}

// insert adds c unless its enrolment already has a live certificate, and
// reports whether it did.
func (s store) insert(ctx context.Context, c Certificate) (bool, error) {
	r := toRow(c)
	res := s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:     []clause.Column{{Name: "enrolment_id"}},
		TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "superseded_by IS NULL"}}},
		DoNothing:   true,
	}).Create(&r)
	if res.Error != nil {
		return false, fmt.Errorf("insert certificate: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

func (s store) certificate(ctx context.Context, id uuid.UUID, lock bool) (Certificate, error) {
	q := s.db.Conn(ctx)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var r certificateRow
	if err := database.Take(q.Where("id = ?", id), &r, ErrNotFound, "load certificate %s", id); err != nil {
		return Certificate{}, err
	}
	return r.toCertificate(), nil
}

func (s store) bySerial(ctx context.Context, serial string) (Certificate, error) {
	var r certificateRow
	if err := database.Take(s.db.Conn(ctx).Where("serial = ?", serial), &r, ErrNotFound, "load certificate %s", serial); err != nil {
		return Certificate{}, err
	}
	return r.toCertificate(), nil
}

// ofEnrolment returns the live certificate of an enrolment.
func (s store) ofEnrolment(ctx context.Context, enrolmentID uuid.UUID) (Certificate, error) {
	var r certificateRow
	err := database.Take(s.db.Conn(ctx).Where("enrolment_id = ? AND superseded_by IS NULL", enrolmentID), &r, ErrNotFound,
		"load certificate of enrolment %s", enrolmentID)
	return r.toCertificate(), err
}

// certified returns which of the enrolments have a live certificate.
func (s store) certified(ctx context.Context, enrolmentIDs []uuid.UUID) (map[uuid.UUID]bool, error) {
	var ids []uuid.UUID
	err := s.db.Conn(ctx).Model(&certificateRow{}).Where("enrolment_id IN ? AND superseded_by IS NULL", enrolmentIDs).
		Pluck("enrolment_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find certified enrolments: %w", err)
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

func (s store) update(ctx context.Context, id uuid.UUID, changes map[string]any) error {
	if err := s.db.Conn(ctx).Model(&certificateRow{}).Where("id = ?", id).Updates(changes).Error; err != nil {
		return fmt.Errorf("update certificate %s: %w", id, err)
	}
	return nil
}

// ofUser lists a learner's certificates, newest first.
func (s store) ofUser(ctx context.Context, userID uuid.UUID, req page.Request) ([]Certificate, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("user_id = ?", userID), "", database.KeyNone, "id",
		page.Request{Limit: req.Limit, Cursor: req.Cursor, Sort: "-id"})
	if err != nil {
		return nil, err
	}
	var rows []certificateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	return toCertificates(rows), nil
}

// expiring lists an institute's live certificates that expire before until.
func (s store) expiring(ctx context.Context, orgIDs []uuid.UUID, until time.Time, req page.Request) ([]Certificate, error) {
	q := s.db.Conn(ctx).Where("org_id IN ? AND revoked_at IS NULL AND superseded_by IS NULL AND expires_at IS NOT NULL AND expires_at < ?", orgIDs, until)
	q, err := database.Keyset(q, "expires_at", database.KeyTime, "id", page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []certificateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list expiring certificates: %w", err)
	}
	return toCertificates(rows), nil
}

// dueReminders locks live certificates that expire before until and whose
// holder has not been reminded, skipping those another worker holds.
func (s store) dueReminders(ctx context.Context, until time.Time, limit int) ([]Certificate, error) {
	var rows []certificateRow
	err := s.db.Conn(ctx).Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
		Where("revoked_at IS NULL AND superseded_by IS NULL AND expires_at IS NOT NULL AND expires_at < ? AND reminded_at IS NULL", until).
		Order("expires_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find due expiry reminders: %w", err)
	}
	return toCertificates(rows), nil
}

type templateRow struct {
	ID                 uuid.UUID
	OrgID              uuid.UUID
	CourseID           *uuid.UUID
	Name               string
	Orientation        string
	TitleID            string
	TitleEN            string `gorm:"column:title_en"`
	BodyID             string
	BodyEN             string `gorm:"column:body_en"`
	Signatories        []byte `gorm:"type:jsonb"`
	LogoFileID         *uuid.UUID
	BackgroundFileID   *uuid.UUID
	ValidityMonths     int
	RecertificationURL string `gorm:"column:recertification_url"`
	Revision           int
	CreatedAt          time.Time
	UpdatedAt          time.Time
	DeletedAt          *time.Time
}

func (templateRow) TableName() string { return "certificate_templates" }

func toTemplateRow(t Template) templateRow {
	sigs, _ := json.Marshal(t.Signatories) // a slice of string pairs always encodes
	return templateRow{ID: t.ID, OrgID: t.OrgID, CourseID: t.CourseID, Name: t.Name, Orientation: string(t.Orientation),
		TitleID: t.TitleID, TitleEN: t.TitleEN, BodyID: t.BodyID, BodyEN: t.BodyEN, Signatories: sigs,
		LogoFileID: t.LogoFileID, BackgroundFileID: t.BackgroundFileID, ValidityMonths: t.ValidityMonths, RecertificationURL: t.RecertificationURL, Revision: t.Revision,
		CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

func (r templateRow) toTemplate() (Template, error) {
	t := Template{ID: r.ID, OrgID: r.OrgID, CourseID: r.CourseID, Name: r.Name, Orientation: Orientation(r.Orientation),
		TitleID: r.TitleID, TitleEN: r.TitleEN, BodyID: r.BodyID, BodyEN: r.BodyEN, ValidityMonths: r.ValidityMonths,
		LogoFileID: r.LogoFileID, BackgroundFileID: r.BackgroundFileID,
		RecertificationURL: r.RecertificationURL, Revision: r.Revision, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal(r.Signatories, &t.Signatories); err != nil {
		return t, fmt.Errorf("decode signatories of template %s: %w", r.ID, err)
	}
	return t, nil
}

func (s store) createTemplate(ctx context.Context, t Template) error {
	r := toTemplateRow(t)
	if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("create certificate template: %w", err)
	}
	return nil
}

func (s store) updateTemplate(ctx context.Context, t Template, revision int) error {
	r := toTemplateRow(t)
	res := s.db.Conn(ctx).Model(&templateRow{}).Where("id = ? AND revision = ? AND deleted_at IS NULL", t.ID, revision).
		Select("course_id", "name", "orientation", "title_id", "title_en", "body_id", "body_en", "signatories", "logo_file_id", "background_file_id",
			"validity_months", "recertification_url", "revision", "updated_at").Updates(&r)
	if res.Error != nil {
		return fmt.Errorf("update certificate template: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrTemplateChanged
	}
	return nil
}

func (s store) deleteTemplate(ctx context.Context, id uuid.UUID, at time.Time) error {
	if err := s.db.Conn(ctx).Model(&templateRow{}).Where("id = ?", id).Update("deleted_at", at).Error; err != nil {
		return fmt.Errorf("delete certificate template: %w", err)
	}
	return nil
}

func (s store) template(ctx context.Context, id uuid.UUID) (Template, error) {
	var r templateRow
	if err := database.Take(s.db.Conn(ctx).Where("id = ? AND deleted_at IS NULL", id), &r, ErrTemplateNotFound, "load certificate template %s", id); err != nil {
		return Template{}, err
	}
	return r.toTemplate()
}

// templateFor is the template a course's certificates of an institute use:
// the course's own, else the institute's newest default; ok is false when
// the institute has none.
func (s store) templateFor(ctx context.Context, orgID, courseID uuid.UUID) (Template, bool, error) {
	var r templateRow
	err := s.db.Conn(ctx).Where("org_id = ? AND deleted_at IS NULL AND (course_id = ? OR course_id IS NULL)", orgID, courseID).
		Order("course_id IS NULL, id DESC").Take(&r).Error
	if database.IsNotFound(err) {
		return Template{}, false, nil
	}
	if err != nil {
		return Template{}, false, fmt.Errorf("find certificate template: %w", err)
	}
	t, err := r.toTemplate()
	return t, err == nil, err
}

func (s store) templates(ctx context.Context, orgID uuid.UUID, req page.Request) ([]Template, error) {
	q, err := database.Keyset(s.db.Conn(ctx).Where("org_id = ? AND deleted_at IS NULL", orgID), "", database.KeyNone, "id",
		page.Request{Limit: req.Limit, Cursor: req.Cursor})
	if err != nil {
		return nil, err
	}
	var rows []templateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list certificate templates: %w", err)
	}
	out := make([]Template, len(rows))
	for i, r := range rows {
		if out[i], err = r.toTemplate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ofClass lists a class's certificates (superseded ones too), by serial.
func (s store) ofClass(ctx context.Context, classID uuid.UUID, limit int) ([]Certificate, error) {
	var rows []certificateRow
	if err := s.db.Conn(ctx).Where("class_id = ?", classID).Order("serial, id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list certificates of class %s: %w", classID, err)
	}
	return toCertificates(rows), nil
}
