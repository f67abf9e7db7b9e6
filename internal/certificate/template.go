package certificate

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
)

// Orientation is how an A4 certificate lies.
type Orientation string

// The orientations of a certificate page.
const (
	Landscape Orientation = "landscape"
	Portrait  Orientation = "portrait"
)

// Template is how an institute's certificates look and read: titles and body
// text in Indonesian and English with placeholders, signatories, and for a
// course's own template its validity period and recertification pointer.
type Template struct {
	ID                 uuid.UUID
	OrgID              uuid.UUID
	CourseID           *uuid.UUID // a course's own template; nil for the institute's default
	Name               string
	Orientation        Orientation
	TitleID, TitleEN   string
	BodyID, BodyEN     string
	Signatories        []Signatory
	LogoFileID         *uuid.UUID // certificate images of the institute
	BackgroundFileID   *uuid.UUID
	ValidityMonths     int    // 0: never expires
	RecertificationURL string // where to recertify before expiry
	Revision           int    // the ETag: bumped by every update
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Placeholders are the names a template's text may use as {name}.
var Placeholders = []string{"learner", "nip", "course", "class", "jp", "grade", "completed_on", "issued_on",
	"expires_on", "competencies", "institute", "course_owner", "serial"}

var placeholderPattern = regexp.MustCompile(`\{([^{}]*)\}`)

// TemplateInput is a template as an author writes it.
type TemplateInput struct {
	OrgID              uuid.UUID
	CourseID           *uuid.UUID
	Name               string
	Orientation        Orientation
	TitleID, TitleEN   string
	BodyID, BodyEN     string
	Signatories        []Signatory
	LogoFileID         *uuid.UUID
	BackgroundFileID   *uuid.UUID
	ValidityMonths     int
	RecertificationURL string
}

// validate names every field that breaks a rule, unknown placeholders among them.
func (in TemplateInput) validate() error {
	v := &apperr.Validation{}
	v.Check(strings.TrimSpace(in.Name) != "" && len(in.Name) <= 200, "name", "Nama wajib diisi (paling banyak 200 karakter).", "A name is required (at most 200 characters).")
	v.Check(in.Orientation == Landscape || in.Orientation == Portrait, "orientation", "Pilih landscape atau portrait.", "Choose landscape or portrait.")
	for _, f := range []struct{ field, text string }{
		{"title_id", in.TitleID}, {"title_en", in.TitleEN}, {"body_id", in.BodyID}, {"body_en", in.BodyEN},
	} {
		field, text := f.field, f.text
		if strings.TrimSpace(text) == "" || len(text) > 4000 {
			v.Add(field, "Wajib diisi (paling banyak 4000 karakter).", "Required (at most 4000 characters).")
			continue
		}
		if unknown := unknownPlaceholders(text); len(unknown) > 0 {
			v.Add(field, "Tempat isian tidak dikenal: {"+strings.Join(unknown, "}, {")+"}. Yang dikenal: "+strings.Join(Placeholders, ", ")+".",
				"Unknown placeholder: {"+strings.Join(unknown, "}, {")+"}. Known: "+strings.Join(Placeholders, ", ")+".")
		}
	}
	v.Check(len(in.Signatories) <= 3, "signatories", "Paling banyak tiga penanda tangan.", "At most three signatories.")
	for _, s := range in.Signatories {
		if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 || len(s.Title) > 200 {
			v.Add("signatories", "Setiap penanda tangan perlu nama (paling banyak 200 karakter).", "Every signatory needs a name (at most 200 characters).")
			break
		}
	}
	v.Check(in.ValidityMonths >= 0 && in.ValidityMonths <= 240, "validity_months", "Antara 0 (tidak kedaluwarsa) dan 240 bulan.", "Between 0 (never expires) and 240 months.")
	v.Check(in.RecertificationURL == "" || strings.HasPrefix(in.RecertificationURL, "https://") || strings.HasPrefix(in.RecertificationURL, "/"),
		"recertification_url", "Alamat https:// atau jalur di Corpu yang diawali /.", "An https:// address or a Corpu path starting with /.")
	return v.Err()
}

// unknownPlaceholders lists the {names} in text that are not Placeholders.
func unknownPlaceholders(text string) []string {
	var unknown []string
	for _, m := range placeholderPattern.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(Placeholders, m[1]) && !slices.Contains(unknown, m[1]) {
			unknown = append(unknown, m[1])
		}
	}
	return unknown
}

// fill replaces the placeholders of text with values.
func fill(text string, values map[string]string) string {
	return placeholderPattern.ReplaceAllStringFunc(text, func(m string) string { return values[m[1:len(m)-1]] })
}

// defaultTemplate is what an institute without a template of its own issues.
func defaultTemplate(orgID uuid.UUID) Template {
	return Template{OrgID: orgID, Name: "Bawaan", Orientation: Landscape,
		TitleID: "SERTIFIKAT", TitleEN: "CERTIFICATE",
		BodyID: "Diberikan kepada {learner} (NIP {nip}) yang telah menyelesaikan pelatihan {course} ({jp} JP) " +
			"yang diselenggarakan oleh {institute} dan selesai pada {completed_on}.",
		BodyEN: "Awarded to {learner} for completing the training {course} ({jp} training hours) " +
			"held by {institute}, completed on {completed_on}."}
}

// CreateTemplate adds a template for an institute the caller issues for.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (Template, error) {
	_, path, err := s.issuerScope(ctx, in.OrgID, ErrIssuerNotFound)
	if err != nil {
		return Template{}, err
	}
	if err := in.validate(); err != nil {
		return Template{}, err
	}
	if err := s.checkImages(ctx, in); err != nil {
		return Template{}, err
	}
	now := s.now()
	t := Template{ID: newID(), Revision: 1, CreatedAt: now, UpdatedAt: now}
	t.apply(in)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createTemplate(ctx, t); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CertificateIssue, audit.Change{Action: "certificate_template.create", EntityType: "certificate_template",
			EntityID: t.ID.String(), OrgID: t.OrgID, OrgPath: path, After: t})
	})
	return t, err
}

func (t *Template) apply(in TemplateInput) {
	t.OrgID, t.CourseID, t.Name, t.Orientation = in.OrgID, in.CourseID, strings.TrimSpace(in.Name), in.Orientation
	t.TitleID, t.TitleEN, t.BodyID, t.BodyEN = in.TitleID, in.TitleEN, in.BodyID, in.BodyEN
	t.Signatories, t.ValidityMonths, t.RecertificationURL = in.Signatories, in.ValidityMonths, in.RecertificationURL
	t.LogoFileID, t.BackgroundFileID = in.LogoFileID, in.BackgroundFileID
	if t.Signatories == nil {
		t.Signatories = []Signatory{}
	}
}

// seeTemplate loads a template the caller issues with.
func (s *Service) seeTemplate(ctx context.Context, id uuid.UUID) (Template, string, error) {
	t, err := s.store.template(ctx, id)
	if err != nil {
		return t, "", err
	}
	_, path, err := s.issuerScope(ctx, t.OrgID, ErrTemplateNotFound)
	return t, path, err
}

// Template returns a template the caller issues with.
func (s *Service) Template(ctx context.Context, id uuid.UUID) (Template, error) {
	t, _, err := s.seeTemplate(ctx, id)
	return t, err
}

// Templates lists an institute's templates.
func (s *Service) Templates(ctx context.Context, orgID uuid.UUID, req page.Request) (page.Result[Template], error) {
	if _, _, err := s.issuerScope(ctx, orgID, ErrIssuerNotFound); err != nil {
		return page.Result[Template]{}, err
	}
	items, err := s.store.templates(ctx, orgID, req)
	if err != nil {
		return page.Result[Template]{}, err
	}
	return page.Build(items, req.Limit, func(t Template) page.Position { return page.Position{ID: t.ID.String()} }), nil
}

// UpdateTemplate replaces a template when revision is still its current one.
func (s *Service) UpdateTemplate(ctx context.Context, id uuid.UUID, revision int, in TemplateInput) (Template, error) {
	var out Template
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		t, path, err := s.seeTemplate(ctx, id)
		if err != nil {
			return err
		}
		in.OrgID = t.OrgID // a template stays with its institute
		if err := in.validate(); err != nil {
			return err
		}
		if err := s.checkImages(ctx, in); err != nil {
			return err
		}
		if revision != 0 && revision != t.Revision {
			return ErrTemplateChanged
		}
		before := t
		t.apply(in)
		t.Revision++
		t.UpdatedAt = s.now()
		if err := s.store.updateTemplate(ctx, t, before.Revision); err != nil {
			return err
		}
		out = t
		return s.audit.Record(ctx, authz.CertificateIssue, audit.Change{Action: "certificate_template.update", EntityType: "certificate_template",
			EntityID: t.ID.String(), OrgID: t.OrgID, OrgPath: path, Before: before, After: t})
	})
	return out, err
}

// DeleteTemplate retires a template; certificates issued with it keep their PDFs.
func (s *Service) DeleteTemplate(ctx context.Context, id uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		t, path, err := s.seeTemplate(ctx, id)
		if err != nil {
			return err
		}
		if err := s.store.deleteTemplate(ctx, id, s.now()); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CertificateIssue, audit.Change{Action: "certificate_template.delete", EntityType: "certificate_template",
			EntityID: t.ID.String(), OrgID: t.OrgID, OrgPath: path, Before: t})
	})
}

// ErrTemplateChanged: someone else updated the template first.
var ErrTemplateChanged = apperr.New(apperr.KindPrecondition, "certificate.template_changed",
	"Templat sudah diubah orang lain; muat ulang lalu coba lagi.", "Someone else changed the template; reload and try again.")
