package course

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// The course builder: an author's courses, a new course, and a draft's
// curriculum (modules, lessons, text/link/quiz items) up to submitting it
// for review. Each form names itself in a hidden "form" field, so a refused
// one shows its errors next to its own fields on the draft's page.

func (p *Pages) mountBuilder(r webpage.Router) {
	r.GET("/teach/courses", p.teachCourses)
	r.POST("/teach/courses", p.createCourse)
	r.GET("/teach/versions/:version_id", p.draft)
	r.POST("/teach/versions/:version_id", p.updateDraft)
	r.POST("/teach/versions/:version_id/modules", p.addModule)
	r.POST("/teach/versions/:version_id/modules/:module_id/lessons", p.addLesson)
	r.POST("/teach/versions/:version_id/lessons/:lesson_id/items", p.addItem)
	r.POST("/teach/versions/:version_id/submit", p.submitDraft)
	r.POST("/teach/versions/:version_id/move", p.move)
}

type teachCoursesPage struct {
	Courses []Course
	Modes   []DeliveryMode
	Levels  []Level
}

func (p *Pages) teachCourses(c echo.Context) error {
	return p.renderTeachCourses(c, http.StatusOK, webpage.Form{})
}

func (p *Pages) renderTeachCourses(c echo.Context, status int, form webpage.Form) error {
	res, err := p.svc.Courses(c.Request().Context(), CourseFilter{}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "course/teach-courses", teachCoursesPage{Courses: res.Items,
		Modes: []DeliveryMode{ModeOnline, ModeBlended, ModeClassroom}, Levels: []Level{LevelBasic, LevelIntermediate, LevelAdvanced}}, form)
}

// createCourse starts a course, owned by the author's own organisation,
// with its first draft.
func (p *Pages) createCourse(c echo.Context) error {
	ctx := c.Request().Context()
	actor, err := authz.ActorFrom(ctx)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	title, summary := strings.TrimSpace(form.Get("title")), strings.TrimSpace(form.Get("summary"))
	lang, mode, level := Language(form.Get("language")), DeliveryMode(form.Get("delivery_mode")), Level(form.Get("level"))
	patch := VersionPatch{Title: &title, Summary: &summary, Language: &lang, DeliveryMode: &mode, Level: &level}
	if jp := strings.TrimSpace(form.Get("jp_credit")); jp != "" {
		n, perr := webpage.ParseDecimal(jp)
		if perr != nil {
			return webpage.Refuse(c, apperr.Invalid("jp_credit", "harus berupa angka", "must be a number"), form, nil, p.renderTeachCourses)
		}
		patch.JPCredit = Some(n)
	}
	created, err := p.svc.CreateCourse(ctx, NewCourse{OrgID: actor.HomeOrgID, Code: strings.TrimSpace(form.Get("code")),
		Sharing: Sharing(form.Get("sharing")), Version: patch})
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderTeachCourses)
	}
	if created.Open == nil {
		return webpage.Redirect(c, "/teach/courses")
	}
	return webpage.Redirect(c, "/teach/versions/"+created.Open.ID.String())
}

type draftPage struct {
	Version Version
	Kinds   []ItemKind
}

func (p *Pages) draft(c echo.Context) error { return p.renderDraft(c, http.StatusOK, webpage.Form{}) }

func (p *Pages) renderDraft(c echo.Context, status int, form webpage.Form) error {
	v, err := p.version(c)
	if err != nil {
		return err
	}
	return p.site.RenderForm(c, status, "course/draft", draftPage{Version: v,
		Kinds: []ItemKind{KindText, KindLink, KindQuiz, KindLiveSession}}, form)
}

// updateDraft changes a draft's title, summary, objectives and JP. The form
// carries the lock version it was read at: a draft someone else changed in
// between is refused (412) rather than overwritten.
func (p *Pages) updateDraft(c echo.Context) error {
	id, err := uuid.Parse(c.Param("version_id"))
	if err != nil {
		return ErrVersionNotFound
	}
	form, _ := c.FormParams()
	title, summary := form.Get("title"), form.Get("summary")
	objectives := webpage.Lines(form.Get("objectives"))
	patch := VersionPatch{Title: &title, Summary: &summary, Objectives: &objectives}
	if jp := strings.TrimSpace(form.Get("jp_credit")); jp != "" {
		n, perr := webpage.ParseDecimal(jp)
		if perr != nil {
			return webpage.Refuse(c, apperr.Invalid("jp_credit", "harus berupa angka", "must be a number"), form, nil, p.renderDraft)
		}
		patch.JPCredit = Some(n)
	}
	expect, err := strconv.Atoi(form.Get("lock_version"))
	if err != nil || expect < 1 {
		return webpage.Refuse(c, apperr.Invalid("lock_version", "formulir tidak lengkap; muat ulang halaman", "the form is incomplete; reload the page"), form, nil, p.renderDraft)
	}
	if _, err := p.svc.UpdateVersion(c.Request().Context(), id, patch, expect); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+id.String())
}

func (p *Pages) addModule(c echo.Context) error {
	id, err := uuid.Parse(c.Param("version_id"))
	if err != nil {
		return ErrVersionNotFound
	}
	form, _ := c.FormParams()
	title, summary := form.Get("title"), form.Get("summary")
	if _, err := p.svc.AddModule(c.Request().Context(), id, ModuleInput{Title: &title, Summary: &summary}); err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+id.String())
}

func (p *Pages) addLesson(c echo.Context) error {
	moduleID, err := uuid.Parse(c.Param("module_id"))
	if err != nil {
		return ErrModuleNotFound
	}
	form, _ := c.FormParams()
	title := form.Get("title")
	l, err := p.svc.AddLesson(c.Request().Context(), moduleID, ModuleInput{Title: &title})
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+l.VersionID.String()+"#lesson-"+l.ID.String())
}

func (p *Pages) addItem(c echo.Context) error {
	lessonID, err := uuid.Parse(c.Param("lesson_id"))
	if err != nil {
		return ErrLessonNotFound
	}
	form, _ := c.FormParams()
	title, required := form.Get("title"), form.Get("required") == "on"
	in := ItemInput{Kind: ItemKind(form.Get("kind")), Title: &title, Required: &required}
	if minutes, err := strconv.Atoi(strings.TrimSpace(form.Get("estimated_minutes"))); err == nil {
		in.EstimatedMinutes = &minutes
	}
	switch in.Kind {
	case KindText:
		body := form.Get("body")
		in.Body = &body
	case KindLink, KindLiveSession:
		if u := strings.TrimSpace(form.Get("url")); u != "" {
			in.URL = Some(u)
		}
	}
	it, err := p.svc.AddItem(c.Request().Context(), lessonID, in)
	if err != nil {
		return webpage.Refuse(c, err, form, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+it.VersionID.String()+"#lesson-"+lessonID.String())
}

func (p *Pages) submitDraft(c echo.Context) error {
	id, err := uuid.Parse(c.Param("version_id"))
	if err != nil {
		return ErrVersionNotFound
	}
	if _, _, err := p.svc.Submit(c.Request().Context(), id); err != nil {
		return webpage.Refuse(c, err, url.Values{"form": {"submit"}}, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+id.String())
}

// move shifts a module, lesson or item one place up or down among its
// siblings. The form carries the lock version the page was read at, so two
// authors moving things at once cannot undo each other unseen (412).
func (p *Pages) move(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := p.version(c)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	target, err := uuid.Parse(form.Get("id"))
	if err != nil {
		return ErrVersionNotFound
	}
	step := 1
	if form.Get("direction") == "up" {
		step = -1
	}
	expect, err := strconv.Atoi(form.Get("lock_version"))
	if err != nil {
		return webpage.Refuse(c, apperr.Invalid("lock_version", "formulir tidak lengkap; muat ulang halaman", "the form is incomplete; reload the page"), url.Values{"form": {"submit"}}, nil, p.renderDraft)
	}
	if _, err := p.svc.Reorder(ctx, v.ID, outlineMoving(v, target, step), expect); err != nil {
		return webpage.Refuse(c, err, url.Values{"form": {"submit"}}, nil, p.renderDraft)
	}
	return webpage.Redirect(c, "/teach/versions/"+v.ID.String())
}

// outlineMoving is v's outline with the module, lesson or item id swapped
// with its neighbour step places away; at an end nothing moves.
func outlineMoving(v Version, id uuid.UUID, step int) Outline {
	out := make(Outline, len(v.Modules))
	moduleIDs := make([]uuid.UUID, len(v.Modules))
	for mi, m := range v.Modules {
		moduleIDs[mi] = m.ID
		out[mi] = OutlineModule{ID: m.ID, Lessons: make([]OutlineLesson, len(m.Lessons))}
		for li, l := range m.Lessons {
			items := make([]uuid.UUID, len(l.Items))
			for ii, it := range l.Items {
				items[ii] = it.ID
			}
			swapWithNeighbour(items, id, step)
			out[mi].Lessons[li] = OutlineLesson{ID: l.ID, ItemIDs: items}
		}
		swapLesson(out[mi].Lessons, id, step)
	}
	if i := slices.Index(moduleIDs, id); i >= 0 && i+step >= 0 && i+step < len(out) {
		out[i], out[i+step] = out[i+step], out[i]
	}
	return out
}

func swapWithNeighbour(ids []uuid.UUID, id uuid.UUID, step int) {
	if i := slices.Index(ids, id); i >= 0 && i+step >= 0 && i+step < len(ids) {
		ids[i], ids[i+step] = ids[i+step], ids[i]
	}
}

func swapLesson(lessons []OutlineLesson, id uuid.UUID, step int) {
	for i := range lessons {
		if lessons[i].ID == id && i+step >= 0 && i+step < len(lessons) {
			lessons[i], lessons[i+step] = lessons[i+step], lessons[i]
			return
		}
	}
}
