package assignment

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Level is one standard of a criterion and the points it earns.
type Level struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Points      float64 `json:"points"`
}

// Criterion is one thing a rubric judges.
type Criterion struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Description string  `json:"description,omitempty"`
	Levels      []Level `json:"levels"`
}

// Rubric is an organisation's reusable grading guide. Revision is its ETag.
type Rubric struct {
	ID        uuid.UUID
	OrgID     uuid.UUID
	Name      string
	Criteria  []Criterion
	Revision  int
	CreatedBy uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ErrStaleRubric is a change based on an older revision of a rubric.
var ErrStaleRubric = apperr.New(apperr.KindPrecondition, "assignment.rubric_changed",
	"Rubrik telah diubah orang lain; muat ulang lalu coba lagi.", "Someone else changed the rubric; reload and try again.")

// MaxPoints is the most a submission can earn by the rubric: the best level
// of every criterion.
func (r Rubric) MaxPoints() float64 {
	total := 0.0
	for _, c := range r.Criteria {
		best := 0.0
		for _, l := range c.Levels {
			best = max(best, l.Points)
		}
		total += best
	}
	return total
}

// Score adds up the points of the chosen level of every criterion (levels:
// a level id by criterion id). Every criterion needs a level of its own: an
// unknown criterion or level is a field error.
func (r Rubric) Score(levels map[string]string) (float64, error) {
	var v apperr.Validation
	total := 0.0
	known := map[string]bool{}
	for _, c := range r.Criteria {
		known[c.ID] = true
		chosen, ok := levels[c.ID]
		if !ok {
			v.Add("levels."+c.ID, "wajib diisi", "is required")
			continue
		}
		found := false
		for _, l := range c.Levels {
			if l.ID == chosen {
				total, found = total+l.Points, true
			}
		}
		v.Check(found, "levels."+c.ID, "tingkat tidak ada pada kriteria ini", "no such level of this criterion")
	}
	for id := range levels {
		v.Check(known[id], "levels."+id, "kriteria tidak ada pada rubrik ini", "no such criterion in this rubric")
	}
	return total, v.Err()
}

func (r *Rubric) validate() error {
	r.Name = strings.TrimSpace(r.Name)
	var v apperr.Validation
	v.Check(r.Name != "" && utf8.RuneCountInString(r.Name) <= 200, "name", "wajib diisi, paling panjang 200 karakter", "is required, at most 200 characters")
	v.Check(len(r.Criteria) >= 1 && len(r.Criteria) <= 30, "criteria", "harus 1 sampai 30 kriteria", "must hold 1 to 30 criteria")
	criteria := map[string]bool{}
	for i, c := range r.Criteria {
		f := fmt.Sprintf("criteria[%d]", i)
		v.Check(c.ID != "" && len(c.ID) <= 40 && !criteria[c.ID], f+".id", "wajib diisi dan unik", "is required and unique")
		criteria[c.ID] = true
		v.Check(strings.TrimSpace(c.Title) != "" && utf8.RuneCountInString(c.Title) <= 200, f+".title", "wajib diisi", "is required")
		v.Check(utf8.RuneCountInString(c.Description) <= 2000, f+".description", "terlalu panjang", "is too long")
		v.Check(len(c.Levels) >= 1 && len(c.Levels) <= 10, f+".levels", "harus 1 sampai 10 tingkat", "must hold 1 to 10 levels")
		levels := map[string]bool{}
		for j, l := range c.Levels {
			lf := fmt.Sprintf("%s.levels[%d]", f, j)
			v.Check(l.ID != "" && len(l.ID) <= 40 && !levels[l.ID], lf+".id", "wajib diisi dan unik", "is required and unique")
			levels[l.ID] = true
			v.Check(strings.TrimSpace(l.Title) != "" && utf8.RuneCountInString(l.Title) <= 200, lf+".title", "wajib diisi", "is required")
			v.Check(utf8.RuneCountInString(l.Description) <= 2000, lf+".description", "terlalu panjang", "is too long")
			v.Check(finite(l.Points) && l.Points >= 0 && l.Points <= 1000, lf+".points", "harus 0 sampai 1000", "must be 0 to 1000")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if r.MaxPoints() <= 0 {
		return apperr.Invalid("criteria", "rubrik harus bernilai lebih dari 0 poin", "the rubric must be worth more than 0 points")
	}
	return nil
}

// rubricScope is a rubric as the caller meets it.
type rubricScope struct {
	actor  *authz.Actor
	rubric Rubric
	path   string
}

func (s *Service) rubricScope(ctx context.Context, id uuid.UUID, forUpdate bool) (rubricScope, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return rubricScope{}, err
	}
	rb, err := s.store.rubric(ctx, id, forUpdate)
	if err != nil {
		return rubricScope{}, err
	}
	path, err := s.orgs.OrgPath(ctx, rb.OrgID)
	if err != nil {
		return rubricScope{}, fmt.Errorf("resolve rubric organisation: %w", err)
	}
	return rubricScope{actor: actor, rubric: rb, path: path}, nil
}

func (sc rubricScope) change(action string, before, after any) audit.Change {
	return audit.Change{Action: action, EntityType: "rubric", EntityID: sc.rubric.ID.String(),
		OrgID: sc.rubric.OrgID, OrgPath: sc.path, Before: before, After: after}
}

// CreateRubric adds a rubric to an organisation; its course authors do.
func (s *Service) CreateRubric(ctx context.Context, orgID uuid.UUID, name string, criteria []Criterion) (Rubric, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Rubric{}, err
	}
	path, err := s.orgs.OrgPath(ctx, orgID)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return Rubric{}, apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")
	}
	if err != nil {
		return Rubric{}, err
	}
	if err := authz.Decide(actor.Can(authz.CourseRead, path), actor.Can(authz.CourseAuthor, path),
		apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")); err != nil {
		return Rubric{}, err
	}
	now := s.now()
	rb := Rubric{ID: newID(), OrgID: orgID, Name: name, Criteria: criteria, Revision: 1, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	if err := rb.validate(); err != nil {
		return Rubric{}, err
	}
	sc := rubricScope{actor: actor, rubric: rb, path: path}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.saveRubric(ctx, rb, false); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("rubric.create", nil, rb))
	})
	return rb, err
}

// GetRubric returns a rubric to the course staff of its organisation's subtree.
func (s *Service) GetRubric(ctx context.Context, id uuid.UUID) (Rubric, error) {
	sc, err := s.rubricScope(ctx, id, false)
	if err != nil {
		return Rubric{}, err
	}
	return sc.rubric, authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseRead, sc.path), ErrRubricNotFound)
}

// UpdateRubric replaces a rubric's name and criteria when ifRevision is 0
// or its revision (412 otherwise); its organisation's course authors do. Grades
// already given keep the points they earned.
func (s *Service) UpdateRubric(ctx context.Context, id uuid.UUID, ifRevision int, name string, criteria []Criterion) (Rubric, error) {
	var out Rubric
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.rubricScope(ctx, id, true)
		if err != nil {
			return err
		}
		if err := authz.Decide(sc.actor.Can(authz.CourseRead, sc.path), sc.actor.Can(authz.CourseAuthor, sc.path), ErrRubricNotFound); err != nil {
			return err
		}
		if ifRevision != 0 && ifRevision != sc.rubric.Revision {
			return ErrStaleRubric
		}
		after := sc.rubric
		after.Name, after.Criteria, after.Revision, after.UpdatedAt = name, criteria, sc.rubric.Revision+1, s.now()
		if err := after.validate(); err != nil {
			return err
		}
		if err := s.store.saveRubric(ctx, after, true); err != nil {
			return err
		}
		out = after
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("rubric.update", sc.rubric, after))
	})
	return out, err
}

// rubricUsableAt checks that a course at coursePath may grade by a rubric:
// one of the course's organisation or of an organisation above it.
func (s *Service) rubricUsableAt(ctx context.Context, id uuid.UUID, coursePath string) error {
	rb, err := s.store.rubric(ctx, id, false)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return apperr.Invalid("rubric_id", "rubrik tidak ditemukan", "rubric not found")
	}
	if err != nil {
		return err
	}
	path, err := s.orgs.OrgPath(ctx, rb.OrgID)
	if err != nil {
		return fmt.Errorf("resolve rubric organisation: %w", err)
	}
	if !authz.Inside(coursePath, path) {
		return apperr.Invalid("rubric_id", "rubrik tidak ditemukan", "rubric not found")
	}
	return nil
}

// ClassRubric returns the rubric a class's assignment is graded by to the
// class's staff and learners (learners read it before they hand in, and
// their result by it); nil when the assignment is graded by points.
func (s *Service) ClassRubric(ctx context.Context, classID, itemID uuid.UUID) (*Rubric, error) {
	sc, err := s.classAssignment(ctx, classID, itemID)
	if err != nil {
		return nil, err
	}
	if err := authz.Decide(true, sc.access.Staff || sc.access.Learner, ErrAssignmentNotFound); err != nil {
		return nil, err
	}
	if sc.a.RubricID == nil {
		return nil, nil
	}
	rb, err := s.store.rubric(ctx, *sc.a.RubricID, false)
	if err != nil {
		return nil, err
	}
	return &rb, nil
}
