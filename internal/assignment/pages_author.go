package assignment

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The author's page: an assignment's settings and its rubric, typed as one
// line a criterion, for the course's authors of a draft. The class's dates,
// late policy and extensions are on the class staff's page
// (pages_class.go).

func (p *Pages) mountAuthor(r webpage.Router) {
	r.GET("/teach/assignments/:item_id", p.authorForm)
	r.POST("/teach/assignments/:item_id", p.saveAuthor)
}

const mib = 1 << 20

type authorPage struct {
	ItemID   uuid.UUID
	Title    string
	View     AuthorView
	Types    []fileType
	Saved    bool
	MaxSize  string // the largest file size the upload flow accepts, in MB
	Revision int    // the rubric's revision the form was read at
}

type fileType struct {
	Value, Label string
	Checked      bool
}

func (p *Pages) authorForm(c echo.Context) error {
	return p.renderAuthor(c, http.StatusOK, webpage.Form{})
}

func itemOf(c echo.Context) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Param("item_id"))
	if err != nil {
		return uuid.Nil, ErrAssignmentNotFound
	}
	return id, nil
}

func (p *Pages) renderAuthor(c echo.Context, status int, form webpage.Form) error {
	itemID, err := itemOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	view, err := p.svc.AuthorAssignment(ctx, itemID)
	if err != nil {
		return err
	}
	data := authorPage{ItemID: itemID, View: view, Saved: c.QueryParam("saved") == "1",
		MaxSize: strconv.FormatInt(submissionRule.MaxSize/mib, 10)}
	if view.Rubric != nil {
		data.Revision = view.Rubric.Revision
	}
	if data.Title, err = p.title(ctx, view.Assignment); err != nil {
		return err
	}
	if !form.Invalid() {
		form.Values = authorValues(view)
	}
	for _, t := range submissionRule.Types {
		_, sub, _ := strings.Cut(t, "/")
		data.Types = append(data.Types, fileType{Value: t, Label: strings.ToUpper(sub), Checked: slices.Contains(form.Values["file_types"], t)})
	}
	return p.site.RenderForm(c, status, "assignment/settings", data, form)
}

// authorValues are the form's values of an assignment's settings.
func authorValues(v AuthorView) url.Values {
	a := v.Assignment
	vals := url.Values{"instructions": {a.Instructions}, "mode": {a.Mode}, "file_types": a.FileTypes,
		"max_files": {strconv.Itoa(a.MaxFiles)}, "max_file_size_mb": {strconv.FormatFloat(float64(a.MaxFileSize)/mib, 'f', -1, 64)},
		"max_points": {strconv.FormatFloat(a.MaxPoints, 'f', -1, 64)}, "rubric": {rubricText(v.Rubric)}}
	for name, on := range map[string]bool{"allow_text": a.AllowText, "allow_links": a.AllowLinks, "blind": a.Blind} {
		if on {
			vals.Set(name, "1")
		}
	}
	if v.Rubric != nil {
		vals.Set("rubric_revision", strconv.Itoa(v.Rubric.Revision))
	}
	return vals
}

// authorFields are the service's names of the settings' fields as the form
// names them.
var authorFields = map[string]string{"max_file_size": "max_file_size_mb", "peer_review.reviewers": "rubric", "rubric_id": "rubric", "name": "rubric"}

// saveAuthor saves the settings and the rubric together: both are checked
// before anything is written, and both are written in one transaction.
func (p *Pages) saveAuthor(c echo.Context) error {
	itemID, err := itemOf(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return apperr.Invalid("instructions", "formulir tidak terbaca", "the form cannot be read")
	}
	values := url.Values{}
	for _, k := range []string{"instructions", "mode", "max_files", "max_file_size_mb", "max_points", "allow_text", "allow_links", "blind", "rubric", "rubric_revision"} {
		if form.Has(k) {
			values.Set(k, form.Get(k))
		}
	}
	values["file_types"] = form["file_types"]
	refuse := func(err error) error {
		return webpage.Refuse(c, err, values, authorRenames(err), p.renderAuthor)
	}
	view, err := p.svc.AuthorAssignment(ctx, itemID)
	if err != nil {
		return err
	}
	in, err := authorInput(form)
	if err != nil {
		return refuse(err)
	}
	var current []Criterion
	if view.Rubric != nil {
		current = view.Rubric.Criteria
	}
	criteria, err := parseRubric(form.Get("rubric"), current)
	if err != nil {
		return refuse(err)
	}
	if len(criteria) > 0 {
		some := uuid.Nil
		placeholder := &some // checked as graded by a rubric; the saved one's id replaces it
		in.RubricID = &placeholder
	} else {
		var none *uuid.UUID
		in.RubricID = &none
	}
	if err := checkInput(view.Assignment, in); err != nil {
		return refuse(err)
	}
	revision, _ := strconv.Atoi(form.Get("rubric_revision"))
	err = p.svc.db.WithTx(ctx, func(ctx context.Context) error {
		rubricID, err := p.saveRubric(ctx, view, criteria, revision)
		if err != nil {
			return err
		}
		in.RubricID = &rubricID
		_, _, err = p.svc.SetAssignment(ctx, itemID, in)
		return err
	})
	if err != nil {
		return refuse(err)
	}
	return webpage.Redirect(c, "/teach/assignments/"+itemID.String()+"?saved=1")
}

// saveRubric writes the typed rubric: nil (grading by points) when it is
// empty, else the assignment's own rubric changed when its criteria
// changed, or a new rubric of the course's organisation.
func (p *Pages) saveRubric(ctx context.Context, view AuthorView, criteria []Criterion, revision int) (*uuid.UUID, error) {
	if len(criteria) == 0 {
		return nil, nil
	}
	if rb := view.Rubric; rb != nil {
		if rubricText(&Rubric{Criteria: criteria}) == rubricText(rb) {
			return &rb.ID, nil
		}
		// A rubric other assignments are graded by too (other courses,
		// published versions) is not changed under them: the changed
		// criteria become a rubric of this course's organisation.
		shared, err := p.svc.store.rubricSharedBeyond(ctx, rb.ID, view.Item.ItemID)
		if err != nil {
			return nil, err
		}
		if !shared {
			if revision == 0 {
				revision = rb.Revision
			}
			out, err := p.svc.UpdateRubric(ctx, rb.ID, revision, rb.Name, criteria)
			if err == nil {
				return &out.ID, nil
			}
			// A rubric of an organisation above, which this author may use
			// but not change: likewise a new rubric.
			if k := apperr.KindOf(err); k != apperr.KindNotFound && k != apperr.KindForbidden {
				return nil, err
			}
		}
	}
	title, err := p.title(ctx, view.Assignment)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace("Rubrik " + title)
	if len([]rune(name)) > 200 {
		name = string([]rune(name)[:200])
	}
	rb, err := p.svc.CreateRubric(ctx, view.Item.OrgID, name, criteria)
	if err != nil {
		return nil, err
	}
	return &rb.ID, nil
}

// authorRenames maps the service's field names to the form's: a rubric's
// criteria and the indexed file types.
func authorRenames(err error) map[string]string {
	renames := map[string]string{}
	for k, v := range authorFields {
		renames[k] = v
	}
	for _, f := range apperr.As(err).Fields {
		switch {
		case strings.HasPrefix(f.Field, "criteria"):
			renames[f.Field] = "rubric"
		case strings.HasPrefix(f.Field, "file_types"):
			renames[f.Field] = "file_types"
		}
	}
	return renames
}

// authorInput reads the settings the form sends; numbers that are no
// numbers are field errors.
func authorInput(form url.Values) (Input, error) {
	var v apperr.Validation
	number := func(field string) float64 {
		n, err := webpage.ParseDecimal(form.Get(field))
		v.Check(err == nil && finite(n), field, "harus berupa angka", "must be a number")
		return n
	}
	instructions, mode := form.Get("instructions"), form.Get("mode")
	types := append([]string{}, form["file_types"]...)
	maxFiles := number("max_files")
	v.Check(maxFiles == math.Trunc(maxFiles), "max_files", "harus bilangan bulat", "must be a whole number")
	files := int(maxFiles)
	sizeMB := number("max_file_size_mb")
	maxSizeMB := float64(submissionRule.MaxSize) / mib
	v.Check(sizeMB > 0 && sizeMB <= maxSizeMB, "max_file_size_mb",
		fmt.Sprintf("harus lebih dari 0 sampai %g MB", maxSizeMB), fmt.Sprintf("must be above 0, up to %g MB", maxSizeMB))
	size := int64(math.Round(sizeMB * mib))
	points := number("max_points")
	on := func(name string) *bool { b := form.Get(name) != ""; return &b }
	in := Input{Instructions: &instructions, Mode: &mode, FileTypes: &types, MaxFileSize: &size, MaxFiles: &files,
		AllowText: on("allow_text"), AllowLinks: on("allow_links"), MaxPoints: &points, Blind: on("blind")}
	return in, v.Err()
}

// rubricText is a rubric as the form shows it: a criterion a line, its
// levels after it, "Criterion | Level = points | Level = points".
func rubricText(rb *Rubric) string {
	if rb == nil {
		return ""
	}
	var b strings.Builder
	for _, c := range rb.Criteria {
		b.WriteString(c.Title)
		for _, l := range c.Levels {
			b.WriteString(" | " + l.Title + " = " + strconv.FormatFloat(l.Points, 'f', -1, 64))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parseRubric reads the rubric's lines. A criterion or level whose title
// the current rubric has keeps its id, so grades given by it still name
// it; new ones take an id made of their title. Every mistake is an error
// of the rubric field naming its line; nothing is empty but the whole text
// (grading by points).
func parseRubric(text string, current []Criterion) ([]Criterion, error) {
	var v rubricErrors
	var out []Criterion
	lineOf := map[int]int{} // the line of each criterion
	usedCrit := map[string]bool{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		ln := n + 1
		parts := strings.Split(line, "|")
		title := strings.TrimSpace(parts[0])
		if title == "" || len(parts) < 2 {
			v.add(fmt.Sprintf("baris %d: tulis judul kriteria lalu tingkatnya, dipisah | (Kriteria | Baik = 5 | Kurang = 1)", ln),
				fmt.Sprintf("line %d: write the criterion's title, then its levels, split by | (Criterion | Good = 5 | Poor = 1)", ln))
			continue
		}
		prior := findCriterion(current, title)
		crit := Criterion{ID: uniqueID(idFor(prior, title), usedCrit), Title: title}
		if prior != nil {
			crit.Description = prior.Description // the one-line format has no place for it: kept
		}
		usedCrit[crit.ID] = true
		usedLevel := map[string]bool{}
		for _, raw := range parts[1:] {
			i := strings.LastIndex(raw, "=")
			ltitle := strings.TrimSpace(raw[:max(i, 0)])
			if i < 0 || ltitle == "" {
				v.add(fmt.Sprintf("baris %d: tulis setiap tingkat sebagai Judul = poin (%q)", ln, strings.TrimSpace(raw)),
					fmt.Sprintf("line %d: write every level as Title = points (%q)", ln, strings.TrimSpace(raw)))
				continue
			}
			pts, err := webpage.ParseDecimal(raw[i+1:])
			if err != nil || !finite(pts) {
				v.add(fmt.Sprintf("baris %d: poin tingkat %q harus berupa angka", ln, ltitle),
					fmt.Sprintf("line %d: the points of level %q must be a number", ln, ltitle))
				continue
			}
			var priorLevel *Level
			if prior != nil {
				for j := range prior.Levels {
					if strings.EqualFold(prior.Levels[j].Title, ltitle) {
						priorLevel = &prior.Levels[j]
					}
				}
			}
			id := slug(ltitle)
			if priorLevel != nil {
				id = priorLevel.ID
			}
			lv := Level{ID: uniqueID(id, usedLevel), Title: ltitle, Points: pts}
			if priorLevel != nil {
				lv.Description = priorLevel.Description
			}
			usedLevel[lv.ID] = true
			crit.Levels = append(crit.Levels, lv)
		}
		lineOf[len(out)] = ln
		out = append(out, crit)
	}
	if err := v.err(); err != nil || len(out) == 0 {
		return nil, err
	}
	// The rubric's own rules (how many criteria and levels, points 0 to
	// 1000, worth more than 0), told by line.
	rb := Rubric{Name: "rubric", Criteria: out}
	err := rb.validate()
	if err == nil {
		return out, nil
	}
	for _, f := range apperr.As(err).Fields {
		var i int
		if _, serr := fmt.Sscanf(f.Field, "criteria[%d]", &i); serr == nil {
			v.add(fmt.Sprintf("baris %d: %s", lineOf[i], f.Message.ID), fmt.Sprintf("line %d: %s", lineOf[i], f.Message.EN))
			continue
		}
		v.add(f.Message.ID, f.Message.EN)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return nil, err
}

// rubricErrors are the rubric's mistakes, told together next to its field.
type rubricErrors struct{ id, en []string }

func (r *rubricErrors) add(id, en string) { r.id, r.en = append(r.id, id), append(r.en, en) }

func (r *rubricErrors) err() error {
	if len(r.id) == 0 {
		return nil
	}
	return apperr.Invalid("rubric", strings.Join(r.id, "; "), strings.Join(r.en, "; "))
}

func findCriterion(cs []Criterion, title string) *Criterion {
	for i := range cs {
		if strings.EqualFold(cs[i].Title, title) {
			return &cs[i]
		}
	}
	return nil
}

func idFor(prior *Criterion, title string) string {
	if prior != nil {
		return prior.ID
	}
	return slug(title)
}

// slug is an id made of a title: lower-case letters and digits joined by
// dashes, at most 32 characters.
func slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			if b.Len() >= 32 {
				break
			}
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "k"
	}
	return b.String()
}

// uniqueID is id, or id with a number after it when used has it.
func uniqueID(id string, used map[string]bool) string {
	out := id
	for n := 2; used[out]; n++ {
		out = id + "-" + strconv.Itoa(n)
	}
	return out
}
