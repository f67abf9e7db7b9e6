package course

import (
	"net/http"
	"net/url"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/webpage"
)

// Pages are the curriculum's pages: for learners the catalogue, a course's
// outline and the course player; for authors the course builder
// (pages_builder.go).
type Pages struct {
	svc  *Service
	site *webpage.Site
}

// NewPages returns the curriculum's pages.
func NewPages(svc *Service, site *webpage.Site) *Pages { return &Pages{svc: svc, site: site} }

// Mount registers the pages.
func (p *Pages) Mount() {
	r := p.site.SignedIn()
	r.GET("/", func(c echo.Context) error { return webpage.Redirect(c, "/catalogue") })
	r.GET("/catalogue", p.catalogue)
	r.GET("/courses/:version_id", p.course)
	r.GET("/learn/:version_id", p.player)
	r.GET("/learn/items/:item_id/media", p.media)
	p.mountBuilder(r)
	p.mountReview(r)
	p.mountMedia(r)
}

// catalogueLimit keeps the first page light on a slow connection.
const catalogueLimit = 20

type cataloguePage struct {
	Entries []CatalogueEntry
	Next    string // the next page's query string, empty on the last
	Modes   []DeliveryMode
	Levels  []Level
}

func (p *Pages) catalogue(c echo.Context) error {
	q := c.QueryParams()
	f := CatalogueFilter{Query: q.Get("q"), Tag: q.Get("tag"), Competency: q.Get("competency"), Mode: DeliveryMode(q.Get("mode")),
		Level: Level(q.Get("level")), Language: Language(q.Get("language"))}
	data := cataloguePage{Modes: []DeliveryMode{ModeOnline, ModeBlended, ModeClassroom},
		Levels: []Level{LevelBasic, LevelIntermediate, LevelAdvanced}}
	res, err := p.svc.Catalogue(c.Request().Context(), f, page.Request{Limit: catalogueLimit, Cursor: q.Get("cursor")})
	if err != nil {
		form, ok := webpage.FormOf(err, webpage.Language(c), q, nil)
		if !ok {
			return err
		}
		return p.site.RenderForm(c, http.StatusUnprocessableEntity, "course/catalogue", data, form)
	}
	data.Entries = res.Items
	if res.NextCursor != "" {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("cursor", res.NextCursor)
		data.Next = next.Encode()
	}
	return p.site.RenderForm(c, http.StatusOK, "course/catalogue", data, webpage.Form{Values: q})
}

func (p *Pages) course(c echo.Context) error {
	v, err := p.version(c)
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "course/course", v)
}

type playerPage struct {
	Version     Version
	ClassID     string
	EnrolmentID string
}

// player shows a version's whole curriculum to one who learns in it: text
// inline, media through short-lived links, quizzes through their pages.
func (p *Pages) player(c echo.Context) error {
	v, err := p.version(c)
	if err != nil {
		return err
	}
	data := playerPage{Version: v}
	if id, err := uuid.Parse(c.QueryParam("class")); err == nil {
		data.ClassID = id.String()
	}
	if id, err := uuid.Parse(c.QueryParam("enrolment")); err == nil {
		data.EnrolmentID = id.String()
	}
	return p.site.Render(c, http.StatusOK, "course/player", data)
}

func (p *Pages) version(c echo.Context) (Version, error) {
	id, err := uuid.Parse(c.Param("version_id"))
	if err != nil {
		return Version{}, ErrVersionNotFound
	}
	return p.svc.Version(c.Request().Context(), id)
}

// media sends the browser to a presigned URL of an item's file: the file
// never passes through Corpu, and the link lasts minutes.
func (p *Pages) media(c echo.Context) error {
	id, err := uuid.Parse(c.Param("item_id"))
	if err != nil {
		return ErrItemNotFound
	}
	u, err := p.svc.MediaURL(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Redirect(http.StatusFound, u.URL)
}
