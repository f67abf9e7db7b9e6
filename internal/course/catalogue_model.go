package course

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Checklist is what a reviewer confirms before approving.
type Checklist struct {
	Objectives    bool // the objectives are clear and measurable
	Assessment    bool // the assessment measures the objectives
	JP            bool // the JP credit matches the learning time
	Accessibility bool // the content is accessible (captions, alt text, readable documents)
}

// unchecked lists the checklist fields not confirmed.
func (c Checklist) unchecked() []string {
	var out []string
	for _, f := range []struct {
		name string
		ok   bool
	}{{"objectives", c.Objectives}, {"assessment", c.Assessment}, {"jp", c.JP}, {"accessibility", c.Accessibility}} {
		if !f.ok {
			out = append(out, f.name)
		}
	}
	return out
}

// Review is a reviewer's decision on a version, kept for the record.
type Review struct {
	ID         uuid.UUID
	VersionID  uuid.UUID
	ReviewerID uuid.UUID
	Decision   Decision
	Checklist  Checklist
	Comments   string
	CreatedAt  time.Time
}

// ReviewInput is a reviewer's decision.
type ReviewInput struct {
	Decision  Decision
	Checklist Checklist
	Comments  string
}

func (in *ReviewInput) validate() error {
	in.Comments = strings.TrimSpace(in.Comments)
	var v apperr.Validation
	v.Check(in.Decision == DecisionApprove || in.Decision == DecisionRequestChanges, "decision",
		"harus approve atau request_changes", "must be approve or request_changes")
	v.Check(utf8.RuneCountInString(in.Comments) <= 10000, "comments", "paling banyak 10000 karakter", "at most 10000 characters")
	checkText(&v, "comments", in.Comments)
	v.Check(in.Decision != DecisionRequestChanges || in.Comments != "", "comments",
		"wajib diisi saat meminta perbaikan", "are required when requesting changes")
	return v.Err()
}

// Similar is a published course of another organisation that resembles a
// version, with the parts of its score.
type Similar struct {
	CourseID             uuid.UUID
	VersionID            uuid.UUID
	OrgID                uuid.UUID
	Code                 string
	Title                string
	Score                float64 // 0..1, the weighted sum below
	TitleSimilarity      float64 // pg_trgm similarity of the titles
	ObjectivesSimilarity float64 // pg_trgm similarity of the objectives
	TagOverlap           float64 // Jaccard overlap of the competency tags
	SharedTags           []string
}

// CatalogueEntry is a published course as the catalogue lists it.
type CatalogueEntry struct {
	CourseID       uuid.UUID
	VersionID      uuid.UUID
	OrgID          uuid.UUID
	Code           string
	Title          string
	Summary        string
	Language       Language
	DeliveryMode   DeliveryMode
	Level          Level
	JPCredit       float64
	Tags           []string
	CompetencyTags []string
	CoverFileID    *uuid.UUID
	Sharing        Sharing
	PublishedAt    time.Time
}

// CatalogueFilter narrows a catalogue search.
type CatalogueFilter struct {
	Query      string // words that must all appear in the title, summary, code or tags
	Tag        string
	Competency string
	OrgID      uuid.UUID // the owning organisation
	Mode       DeliveryMode
	Level      Level
	Language   Language
}

func (f *CatalogueFilter) validate() error {
	f.Query = strings.TrimSpace(f.Query)
	f.Tag, f.Competency = normalizeTag(f.Tag), normalizeTag(f.Competency)
	var v apperr.Validation
	v.Check(utf8.RuneCountInString(f.Query) <= 200, "q", "paling banyak 200 karakter", "at most 200 characters")
	checkText(&v, "q", f.Query)
	checkText(&v, "tag", f.Tag)
	checkText(&v, "competency", f.Competency)
	v.Check(f.Mode == "" || slices.Contains(deliveryModes, f.Mode), "mode",
		"harus online, blended atau classroom", "must be online, blended or classroom")
	v.Check(f.Level == "" || slices.Contains(levels, f.Level), "level",
		"harus basic, intermediate atau advanced", "must be basic, intermediate or advanced")
	v.Check(f.Language == "" || slices.Contains(languages, f.Language), "language", "harus id atau en", "must be id or en")
	return v.Err()
}

// VersionSummary is what the delivery package needs of a published version.
type VersionSummary struct {
	VersionID    uuid.UUID
	CourseID     uuid.UUID
	OrgID        uuid.UUID
	Title        string
	JPCredit     float64
	DeliveryMode string
	// Status is "published" for the version new classes may pin, or
	// "archived" when it was superseded or its course was archived: classes
	// that pinned it keep it, new ones may not.
	Status string
	// CompetencyTags are the competencies the version develops (for
	// certificates' alignments).
	CompetencyTags []string
	Items          []ItemSummary
}

// ItemSummary is one content item of a published version, in curriculum order.
type ItemSummary struct {
	ID                 uuid.UUID
	Kind               string
	Required           bool
	ReleaseAt          *time.Time
	ReleaseAfterItemID *uuid.UUID
	EstimatedMinutes   int
}
