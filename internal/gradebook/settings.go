package gradebook

import (
	"context"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/audit"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/queue"
)

// Limits of a gradebook's settings.
const (
	MaxCategories = 20
	maxNameLength = 200
	maxReason     = 1000
)

// SettingsView is a class's settings with the items they may name.
type SettingsView struct {
	Settings
	Items []Item
}

// Settings returns a class's gradebook settings and items, for its staff.
func (s *Service) Settings(ctx context.Context, classID uuid.UUID) (SettingsView, error) {
	c, err := s.staffOf(ctx, classID)
	if err != nil {
		return SettingsView{}, err
	}
	st, err := s.store.settings(ctx, classID)
	if err != nil {
		return SettingsView{}, err
	}
	return SettingsView{Settings: st, Items: c.Items}, nil
}

// SettingsInput is what an instructor sets.
type SettingsInput struct {
	PassMark   float64
	Categories []Category
}

// validate checks settings against a class's items: weights not negative
// and adding up to 100, every item the class's and in one category at most,
// drop-lowest leaving at least one grade.
func (in SettingsInput) validate(c Class) error {
	var v apperr.Validation
	v.Check(finite(in.PassMark) && in.PassMark >= 0 && in.PassMark <= 100, "pass_mark", "harus 0 sampai 100", "must be 0 to 100")
	v.Check(len(in.Categories) > 0 && len(in.Categories) <= MaxCategories, "categories",
		fmt.Sprintf("harus berisi 1 sampai %d kategori", MaxCategories), fmt.Sprintf("must hold 1 to %d categories", MaxCategories))
	sum, keys, placed := 0.0, map[string]bool{}, map[string]bool{}
	for i, cat := range in.Categories {
		field := fmt.Sprintf("categories[%d]", i)
		key := strings.TrimSpace(cat.Key)
		v.Check(key != "" && utf8.RuneCountInString(key) <= 64 && !keys[key], field+".key", "wajib diisi, unik, paling panjang 64", "is required, unique, at most 64 long")
		keys[key] = true
		v.Check(utf8.RuneCountInString(cat.Name) <= maxNameLength, field+".name", "terlalu panjang", "is too long")
		v.Check(finite(cat.Weight) && cat.Weight >= 0, field+".weight", "tidak boleh negatif", "must not be negative")
		if finite(cat.Weight) {
			sum += cat.Weight
		}
		v.Check(len(cat.Items) > 0, field+".items", "harus berisi paling sedikit satu materi", "must hold at least one item")
		v.Check(cat.DropLowest >= 0 && cat.DropLowest < max(len(cat.Items), 1), field+".drop_lowest",
			"harus 0 sampai jumlah materi dikurangi satu", "must be 0 to the number of items less one")
		for j, key := range cat.Items {
			itemField := fmt.Sprintf("%s.items[%d]", field, j)
			_, ok := c.Item(key)
			v.Check(ok, itemField, "bukan materi bernilai di kelas ini", "is not a graded item of this class")
			v.Check(!ok || !placed[key], itemField, "sudah berada di kategori lain", "is in another category already")
			placed[key] = true
		}
	}
	v.Check(math.Abs(sum-100) < 1e-6, "categories", "jumlah bobot harus 100", "the weights must add up to 100")
	return v.Err()
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// SetSettings replaces a class's settings, for its staff, and recomputes
// its rows: in the request for a class of up to the inline bound, by a job
// (TypeRecomputeClass through the outbox) for a larger one.
func (s *Service) SetSettings(ctx context.Context, classID uuid.UUID, in SettingsInput) (SettingsView, error) {
	c, err := s.staffOf(ctx, classID)
	if err != nil {
		return SettingsView{}, err
	}
	for i := range in.Categories {
		in.Categories[i].Key = strings.TrimSpace(in.Categories[i].Key)
		in.Categories[i].Name = strings.TrimSpace(in.Categories[i].Name)
	}
	if err := in.validate(c); err != nil {
		return SettingsView{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return SettingsView{}, err
	}
	var out Settings
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockClass(ctx, classID); err != nil {
			return err
		}
		before, err := s.store.settings(ctx, classID)
		if err != nil {
			return err
		}
		st := Settings{Configured: true, PassMark: in.PassMark, Categories: in.Categories, UpdatedAt: s.now()}
		if st.Revision, err = s.store.saveSettings(ctx, classID, actor.UserID, st, st.UpdatedAt); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, authz.ClassTeach, audit.Change{Action: "gradebook.settings", EntityType: "class",
			EntityID: classID.String(), OrgID: c.OrgID, OrgPath: c.OrgPath, Before: settingsAudit(before), After: settingsAudit(st)}); err != nil {
			return err
		}
		out = st
		learners, err := s.store.learners(ctx, classID)
		if err != nil {
			return err
		}
		if len(learners) > s.inline {
			_, err := s.outbox.Add(ctx, queue.Job{Type: TypeRecomputeClass, Queue: queue.Default, Payload: RecomputeClassPayload{ClassID: classID}})
			return err
		}
		return s.recompute(ctx, c, st, learners)
	})
	if err != nil {
		return SettingsView{}, err
	}
	return SettingsView{Settings: out, Items: c.Items}, nil
}

// settingsAudit is settings as the audit log keeps them; nil when none.
func settingsAudit(st Settings) any {
	if !st.Configured {
		return nil
	}
	return map[string]any{"pass_mark": st.PassMark, "categories": st.Categories}
}

// OverrideInput is an instructor's grade for a learner's item or final
// grade (Item FinalItem), with the reason.
type OverrideInput struct {
	UserID  uuid.UUID
	Item    string
	Percent float64
	Reason  string
}

// SetOverride records an override, for the class's staff, audited, and
// recomputes the learner's row. Nobody overrides their own grade.
func (s *Service) SetOverride(ctx context.Context, classID uuid.UUID, in OverrideInput) (Row, error) {
	c, err := s.staffOf(ctx, classID)
	if err != nil {
		return Row{}, err
	}
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return Row{}, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var v apperr.Validation
	v.Check(in.UserID != uuid.Nil, "user_id", "wajib diisi", "is required")
	_, known := c.Item(in.Item)
	v.Check(in.Item == FinalItem || known, "item", "bukan materi bernilai di kelas ini", "is not a graded item of this class")
	v.Check(finite(in.Percent) && in.Percent >= 0 && in.Percent <= 100, "percent", "harus 0 sampai 100", "must be 0 to 100")
	v.Check(in.Reason != "", "reason", "wajib diisi", "is required")
	v.Check(utf8.RuneCountInString(in.Reason) <= maxReason, "reason", "terlalu panjang", "is too long")
	if err := v.Err(); err != nil {
		return Row{}, err
	}
	if in.UserID == actor.UserID {
		return Row{}, ErrSelfOverride
	}
	enrolled, err := s.classes.Enrolled(ctx, classID, in.UserID)
	if err != nil {
		return Row{}, err
	}
	if !enrolled {
		return Row{}, apperr.Invalid("user_id", "bukan peserta kelas ini", "is not a learner of this class")
	}
	var row Row
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.store.lockLearner(ctx, classID, in.UserID); err != nil {
			return err
		}
		before, err := s.store.override(ctx, classID, in.UserID, in.Item)
		if err != nil {
			return err
		}
		r := overrideRow{ClassID: classID, UserID: in.UserID, Item: in.Item, Percent: round3(in.Percent), Reason: in.Reason,
			SetBy: actor.UserID, SetAt: s.now()}
		if err := s.store.saveOverride(ctx, r); err != nil {
			return err
		}
		var was any
		if before != nil {
			was = map[string]any{"percent": before.Percent, "reason": before.Reason}
		}
		if err := s.audit.Record(ctx, authz.ClassTeach, audit.Change{Action: "gradebook.override", EntityType: "gradebook_row",
			EntityID: classID.String() + "/" + in.UserID.String(), OrgID: c.OrgID, OrgPath: c.OrgPath, Before: was,
			After: map[string]any{"user_id": in.UserID, "item": in.Item, "percent": r.Percent, "reason": r.Reason}}); err != nil {
			return err
		}
		st, err := s.store.settings(ctx, classID)
		if err != nil {
			return err
		}
		if err := s.recompute(ctx, c, st, []uuid.UUID{in.UserID}); err != nil {
			return err
		}
		rows, err := s.store.results(ctx, classID, []uuid.UUID{in.UserID})
		row = rows[in.UserID]
		return err
	})
	return row, err
}
