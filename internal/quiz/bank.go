package quiz

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/page"
)

// Sharing says who besides the owner's subtree may use a bank, as for courses.
type Sharing string

// The sharing modes.
const (
	SharingNational Sharing = "national"
	SharingListed   Sharing = "listed"
	SharingPrivate  Sharing = "private"
)

// Bank is a question bank owned by an organisation.
type Bank struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	Name         string
	Description  string
	Sharing      Sharing
	SharedOrgIDs []uuid.UUID
	CreatedBy    uuid.UUID
	ArchivedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// BankInput creates or changes a bank; nil fields stay as they are.
type BankInput struct {
	OrgID        uuid.UUID // on create
	Name         *string
	Description  *string
	Sharing      *Sharing
	SharedOrgIDs *[]uuid.UUID
}

// Category groups a bank's questions; categories nest.
type Category struct {
	ID       uuid.UUID
	BankID   uuid.UUID
	ParentID *uuid.UUID
	Name     string
}

// Question is a question of a bank with its current version's content.
type Question struct {
	ID             uuid.UUID
	BankID         uuid.UUID
	CategoryID     *uuid.UUID
	Name           string
	CompetencyTags []string
	Version        int       // the current version's number
	VersionID      uuid.UUID // the current version's id
	Content        Content
	CreatedBy      uuid.UUID
	ArchivedAt     *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// QuestionInput creates or changes a question; on change, a nil Content keeps it.
type QuestionInput struct {
	CategoryID     *uuid.UUID
	Name           *string
	CompetencyTags *[]string
	Content        *Content
}

// QuestionFilter narrows a bank's question list.
type QuestionFilter struct {
	CategoryID uuid.UUID
	Tag        string
}

func checkName(v *apperr.Validation, field, s string, max int) {
	v.Check(s != "", field, "wajib diisi", "is required")
	v.Check(utf8.RuneCountInString(s) <= max, field, "terlalu panjang", "is too long")
}

func checkTags(v *apperr.Validation, tags []string) []string {
	out := make([]string, 0, len(tags))
	v.Check(len(tags) <= 20, "competency_tags", "paling banyak 20", "at most 20")
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		v.Check(t != "" && utf8.RuneCountInString(t) <= 60, "competency_tags", "tag kosong atau terlalu panjang", "empty or too long tag")
		out = append(out, t)
	}
	return out
}

// apply changes b with in and checks the result.
func (in BankInput) apply(b *Bank) error {
	if in.Name != nil {
		b.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		b.Description = strings.TrimSpace(*in.Description)
	}
	if in.Sharing != nil {
		b.Sharing = *in.Sharing
	}
	if in.SharedOrgIDs != nil {
		b.SharedOrgIDs = *in.SharedOrgIDs
	}
	if b.Sharing != SharingListed && in.SharedOrgIDs == nil {
		b.SharedOrgIDs = nil
	}
	var v apperr.Validation
	checkName(&v, "name", b.Name, 200)
	v.Check(utf8.RuneCountInString(b.Description) <= 5000, "description", "terlalu panjang", "is too long")
	v.Check(b.Sharing == SharingNational || b.Sharing == SharingListed || b.Sharing == SharingPrivate, "sharing",
		"harus national, listed atau private", "must be national, listed or private")
	v.Check(b.Sharing == SharingListed || len(b.SharedOrgIDs) == 0, "shared_org_ids",
		"hanya untuk sharing listed", "only for listed sharing")
	v.Check(b.Sharing != SharingListed || len(b.SharedOrgIDs) > 0, "shared_org_ids",
		"wajib diisi untuk sharing listed", "is required for listed sharing")
	v.Check(len(b.SharedOrgIDs) <= 100, "shared_org_ids", "paling banyak 100", "at most 100")
	return v.Err()
}

// CreateBank creates a bank in an organisation where the caller authors courses.
func (s *Service) CreateBank(ctx context.Context, in BankInput) (Bank, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Bank{}, err
	}
	now := s.now()
	b := Bank{ID: newID(), OrgID: in.OrgID, Sharing: SharingPrivate, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now}
	if in.OrgID == uuid.Nil {
		return Bank{}, apperr.Invalid("org_id", "wajib diisi", "is required")
	}
	if err := in.apply(&b); err != nil {
		return Bank{}, err
	}
	path, err := s.orgPathFor(ctx, "org_id", in.OrgID)
	if err != nil {
		return Bank{}, err
	}
	if err := authz.Decide(actor.Can(authz.CourseRead, path), actor.Can(authz.CourseAuthor, path),
		apperr.Invalid("org_id", "organisasi tidak ditemukan", "organisation not found")); err != nil {
		return Bank{}, err
	}
	if err := s.checkOrgs(ctx, b.SharedOrgIDs); err != nil {
		return Bank{}, err
	}
	sc := bankScope{actor: actor, bank: b, path: path}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.createBank(ctx, b); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question_bank.create", "question_bank", b.ID, nil, b))
	})
	return b, err
}

func (s *Service) orgPathFor(ctx context.Context, field string, id uuid.UUID) (string, error) {
	path, err := s.orgs.OrgPath(ctx, id)
	if apperr.KindOf(err) == apperr.KindNotFound {
		return "", apperr.Invalid(field, "organisasi tidak ditemukan", "organisation not found")
	}
	return path, err
}

func (s *Service) checkOrgs(ctx context.Context, ids []uuid.UUID) error {
	for _, id := range ids {
		if _, err := s.orgPathFor(ctx, "shared_org_ids", id); err != nil {
			return err
		}
	}
	return nil
}

// Bank returns a bank the caller sees.
func (s *Service) Bank(ctx context.Context, id uuid.UUID) (Bank, error) {
	sc, err := s.seeBank(ctx, id)
	return sc.bank, err
}

// UpdateBank changes a bank's name, description or sharing.
func (s *Service) UpdateBank(ctx context.Context, id uuid.UUID, in BankInput) (Bank, error) {
	var out Bank
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, id)
		if err != nil {
			return err
		}
		before := sc.bank
		after := sc.bank
		if err := in.apply(&after); err != nil {
			return err
		}
		if err := s.checkOrgs(ctx, after.SharedOrgIDs); err != nil {
			return err
		}
		after.UpdatedAt = s.now()
		if err := s.store.updateBank(ctx, after); err != nil {
			return err
		}
		out = after
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question_bank.update", "question_bank", id, before, after))
	})
	return out, err
}

// Banks lists the banks the caller sees: those of the subtrees where they
// read courses, and, for authors, the banks shared with their organisation.
func (s *Service) Banks(ctx context.Context, req page.Request) (page.Result[Bank], error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return page.Result[Bank]{}, err
	}
	if err := database.CheckCursor(req, database.KeyText); err != nil {
		return page.Result[Bank]{}, err
	}
	roots, all := actor.Roots(authz.CourseRead)
	authorRoots, authorAll := actor.Roots(authz.CourseAuthor)
	if !all && len(roots) == 0 && !authorAll && len(authorRoots) == 0 {
		return page.Result[Bank]{Items: []Bank{}}, nil
	}
	rows, err := s.store.listBanks(ctx, bankListScope{all: all, roots: roots,
		sharedTo: actor.HomeOrgPath, shared: authorAll || len(authorRoots) > 0}, req)
	if err != nil {
		return page.Result[Bank]{}, err
	}
	return page.Build(rows, req.Limit, func(b Bank) page.Position { return page.Position{Key: b.Name, ID: b.ID.String()} }), nil
}

// --- categories ---

// CreateCategory adds a category to a bank, under parent when given.
func (s *Service) CreateCategory(ctx context.Context, bankID uuid.UUID, parentID *uuid.UUID, name string) (Category, error) {
	name = strings.TrimSpace(name)
	var v apperr.Validation
	checkName(&v, "name", name, 200)
	if err := v.Err(); err != nil {
		return Category{}, err
	}
	c := Category{ID: newID(), BankID: bankID, ParentID: parentID, Name: name}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, bankID)
		if err != nil {
			return err
		}
		if parentID != nil {
			if _, err := s.store.category(ctx, bankID, *parentID); err != nil {
				return apperr.Invalid("parent_id", "kategori tidak ditemukan di bank ini", "no such category in this bank")
			}
		}
		if err := s.store.createCategory(ctx, c); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question_category.create", "question_category", c.ID, nil, c))
	})
	return c, err
}

// Categories lists a bank's categories by name.
func (s *Service) Categories(ctx context.Context, bankID uuid.UUID) ([]Category, error) {
	if _, err := s.seeBank(ctx, bankID); err != nil {
		return nil, err
	}
	return s.store.categories(ctx, bankID)
}

// --- questions ---

func (s *Service) checkCategory(ctx context.Context, bankID uuid.UUID, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	if _, err := s.store.category(ctx, bankID, *id); err != nil {
		if apperr.KindOf(err) == apperr.KindNotFound {
			return apperr.Invalid("category_id", "kategori tidak ditemukan di bank ini", "no such category in this bank")
		}
		return err
	}
	return nil
}

// CreateQuestion adds a question to a bank, as its version 1.
func (s *Service) CreateQuestion(ctx context.Context, bankID uuid.UUID, in QuestionInput) (Question, error) {
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Question{}, err
	}
	now := s.now()
	q := Question{ID: newID(), BankID: bankID, CategoryID: in.CategoryID, Version: 1, VersionID: newID(),
		CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now, CompetencyTags: []string{}}
	var v apperr.Validation
	if in.Name != nil {
		q.Name = strings.TrimSpace(*in.Name)
	}
	if in.CompetencyTags != nil {
		q.CompetencyTags = checkTags(&v, *in.CompetencyTags)
	}
	if in.Content == nil {
		v.Add("type", "wajib diisi", "is required")
	}
	if err := v.Err(); err != nil {
		return Question{}, err
	}
	q.Content = *in.Content
	q.Content.Normalize()
	if q.Name == "" {
		q.Name = summarize(q.Content.Stem)
	}
	checkName(&v, "name", q.Name, 200)
	if err := v.Err(); err != nil {
		return Question{}, err
	}
	if err := q.Content.Validate(); err != nil {
		return Question{}, err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, bankID)
		if err != nil {
			return err
		}
		if err := s.checkCategory(ctx, bankID, q.CategoryID); err != nil {
			return err
		}
		if err := s.checkMedia(ctx, sc, &q.Content); err != nil {
			return err
		}
		if err := s.store.createQuestion(ctx, q); err != nil {
			return err
		}
		if err := s.store.createVersion(ctx, q); err != nil {
			return err
		}
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question.create", "question", q.ID, nil, q))
	})
	return q, err
}

// summarize makes a name from a stem: its text, cut at 80 characters.
func summarize(stem string) string {
	text := strings.Join(strings.Fields(htmlStrip.Sanitize(stem)), " ")
	if utf8.RuneCountInString(text) > 80 {
		text = string([]rune(text)[:80]) + "…"
	}
	return text
}

// Question returns a question of a bank the caller sees, with its answer key.
func (s *Service) Question(ctx context.Context, bankID, id uuid.UUID) (Question, error) {
	if _, err := s.seeBank(ctx, bankID); err != nil {
		return Question{}, err
	}
	return s.store.question(ctx, bankID, id, false)
}

// Questions lists a bank's questions by name.
func (s *Service) Questions(ctx context.Context, bankID uuid.UUID, f QuestionFilter, req page.Request) (page.Result[Question], error) {
	if err := database.CheckCursor(req, database.KeyText); err != nil {
		return page.Result[Question]{}, err
	}
	if _, err := s.seeBank(ctx, bankID); err != nil {
		return page.Result[Question]{}, err
	}
	rows, err := s.store.listQuestions(ctx, bankID, f, req)
	if err != nil {
		return page.Result[Question]{}, err
	}
	return page.Build(rows, req.Limit, func(q Question) page.Position { return page.Position{Key: q.Name, ID: q.ID.String()} }), nil
}

// UpdateQuestion changes a question. A change of content to a version that
// an attempt used makes a new version (attempts keep the one they saw);
// otherwise the current version changes in place.
func (s *Service) UpdateQuestion(ctx context.Context, bankID, id uuid.UUID, in QuestionInput) (Question, error) {
	var out Question
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, bankID)
		if err != nil {
			return err
		}
		before, err := s.store.question(ctx, bankID, id, true)
		if err != nil {
			return err
		}
		after := before
		var v apperr.Validation
		if in.Name != nil {
			after.Name = strings.TrimSpace(*in.Name)
			checkName(&v, "name", after.Name, 200)
		}
		if in.CompetencyTags != nil {
			after.CompetencyTags = checkTags(&v, *in.CompetencyTags)
		}
		if in.CategoryID != nil {
			after.CategoryID = in.CategoryID
			if err := s.checkCategory(ctx, bankID, in.CategoryID); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		after.UpdatedAt = s.now()
		if in.Content != nil {
			c := *in.Content
			c.Normalize()
			if err := c.Validate(); err != nil {
				return err
			}
			if err := s.checkMedia(ctx, sc, &c); err != nil {
				return err
			}
			after.Content = c
			used, err := s.store.versionUsed(ctx, before.VersionID)
			if err != nil {
				return err
			}
			if used {
				after.Version, after.VersionID = before.Version+1, newID()
				if err := s.store.createVersion(ctx, after); err != nil {
					return err
				}
			} else if err := s.store.updateVersion(ctx, after); err != nil {
				return err
			}
		}
		if err := s.store.updateQuestion(ctx, after); err != nil {
			return err
		}
		out = after
		return s.audit.Record(ctx, authz.CourseAuthor, sc.change("question.update", "question", id, before, after))
	})
	s.fresh.Forget(id) // this process's next start reads it again
	return out, err
}

// ArchiveQuestion takes a question out of its bank's lists and of future
// draws; attempts that used it keep it.
func (s *Service) ArchiveQuestion(ctx context.Context, bankID, id uuid.UUID) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		sc, err := s.editBank(ctx, bankID)
		if err != nil {
			return err
		}
		q, err := s.store.question(ctx, bankID, id, true)
		if err != nil {
			return err
		}
		if err := s.store.archiveQuestion(ctx, id, s.now()); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, authz.CourseAuthor, sc.change("question.archive", "question", id, q, nil)); err != nil {
			return err
		}
		s.fresh.Forget(id)
		return nil
	})
}
