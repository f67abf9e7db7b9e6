package course

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/microcosm-cc/bluemonday"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// ModuleInput creates or changes a module or a lesson; nil fields stay.
type ModuleInput struct {
	Title   *string
	Summary *string
}

func (in ModuleInput) apply(title, summary *string) error {
	setIf(title, in.Title)
	setIf(summary, in.Summary)
	*title, *summary = strings.TrimSpace(*title), strings.TrimSpace(*summary)
	var v apperr.Validation
	v.Check(*title != "" && utf8.RuneCountInString(*title) <= maxTitle, "title",
		"wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	v.Check(utf8.RuneCountInString(*summary) <= maxSummary, "summary", "paling banyak 5000 karakter", "at most 5000 characters")
	checkText(&v, "title", *title)
	checkText(&v, "summary", *summary)
	return v.Err()
}

// ItemInput creates or changes a content item; unset fields stay. The kind
// is set when the item is created and never changes.
type ItemInput struct {
	Kind               ItemKind
	Title              *string
	Required           *bool
	EstimatedMinutes   *int
	Body               *string
	URL                Optional[string]
	FileID             Optional[uuid.UUID]
	RefID              Optional[uuid.UUID]
	ReleaseAt          Optional[time.Time]
	ReleaseAfterItemID Optional[uuid.UUID]
}

// htmlPolicy keeps the markup of user-generated content and removes scripts,
// event handlers, styles and dangerous URLs. A policy is safe for concurrent use.
var htmlPolicy = bluemonday.UGCPolicy()

// sanitizeHTML returns the rich text with everything executable removed.
func sanitizeHTML(s string) string { return strings.TrimSpace(htmlPolicy.Sanitize(s)) }

// apply changes it with in and checks the result.
func (in ItemInput) apply(it *Item) error {
	var v apperr.Validation
	if in.Kind != "" && in.Kind != it.Kind {
		if it.Kind == "" {
			it.Kind = in.Kind
		} else {
			v.Add("kind", "jenis materi tidak dapat diubah; buat materi baru", "the kind cannot change; add a new item instead")
		}
	}
	setIf(&it.Title, in.Title)
	setIf(&it.Required, in.Required)
	setIf(&it.EstimatedMinutes, in.EstimatedMinutes)
	if in.Body != nil {
		it.Body = sanitizeHTML(*in.Body)
	}
	if in.URL.Set {
		it.URL = ""
		if in.URL.Value != nil {
			it.URL = strings.TrimSpace(*in.URL.Value)
		}
	}
	in.FileID.apply(&it.FileID)
	in.RefID.apply(&it.RefID)
	in.ReleaseAt.apply(&it.ReleaseAt)
	in.ReleaseAfterItemID.apply(&it.ReleaseAfterItemID)
	if it.ReleaseAt != nil {
		t := it.ReleaseAt.UTC()
		it.ReleaseAt = &t
	}

	it.Title = strings.TrimSpace(it.Title)
	v.Check(slices.Contains(itemKinds, it.Kind), "kind",
		"harus video, document, text, link, live_session, quiz, assignment atau survey",
		"must be video, document, text, link, live_session, quiz, assignment or survey")
	v.Check(it.Title != "" && utf8.RuneCountInString(it.Title) <= maxTitle, "title",
		"wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	checkText(&v, "title", it.Title)
	checkText(&v, "body", it.Body)
	v.Check(it.EstimatedMinutes >= 0 && it.EstimatedMinutes <= maxMinutes, "estimated_minutes",
		"harus antara 0 dan 10000", "must be between 0 and 10000")
	switch {
	case it.Kind == KindText:
		v.Check(it.Body != "", "body", "wajib diisi untuk materi teks", "is required for text items")
		v.Check(len(it.Body) <= maxBody, "body", "terlalu panjang", "is too long")
	case it.Body != "":
		v.Add("body", "hanya untuk materi teks", "applies only to text items")
	}
	switch {
	case it.Kind == KindLink && it.URL == "":
		v.Add("url", "wajib diisi untuk tautan", "is required for link items")
	case it.URL != "" && !it.Kind.takesURL():
		v.Add("url", "hanya untuk tautan dan sesi langsung", "applies only to link and live session items")
	case it.URL != "":
		v.Check(validWebURL(it.URL), "url", "harus URL http atau https yang lengkap", "must be a complete http or https URL")
	}
	switch {
	case it.Kind.HasMedia() && it.FileID == nil:
		v.Add("file_id", "wajib diisi untuk video dan dokumen", "is required for video and document items")
	case !it.Kind.HasMedia() && it.FileID != nil:
		v.Add("file_id", "hanya untuk video dan dokumen", "applies only to video and document items")
	}
	v.Check(it.RefID == nil || it.Kind.takesRef(), "ref_id",
		"hanya untuk kuis, tugas dan survei", "applies only to quiz, assignment and survey items")
	v.Check(it.ReleaseAfterItemID == nil || *it.ReleaseAfterItemID != it.ID, "release_after_item_id",
		"materi tidak dapat menunggu dirinya sendiri", "an item cannot wait for itself")
	return v.Err()
}

func validWebURL(raw string) bool {
	if len(raw) > maxURL || !validText(raw) {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// Outline is a version's complete curriculum order, for reordering: every
// module, lesson and item of the version exactly once. Lessons may move to
// another module and items to another lesson.
type Outline []OutlineModule

// OutlineModule is a module and its lessons, in order.
type OutlineModule struct {
	ID      uuid.UUID
	Lessons []OutlineLesson
}

// OutlineLesson is a lesson and its items, in order.
type OutlineLesson struct {
	ID      uuid.UUID
	ItemIDs []uuid.UUID
}
