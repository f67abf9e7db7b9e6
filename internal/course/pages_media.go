package course

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/webpage"
)

// The course builder's media page: for each lesson of a draft, a video or
// document item with its file, and a new file for an existing one. The
// bytes go from the browser straight to the object store with a progress
// bar (assets/web/static/direct-upload.js); the script then adds or
// changes the item through the API, which checks the file as it always
// does (a completed upload of the right purpose, the author's own or of
// their organisation).

func (p *Pages) mountMedia(r webpage.Router) {
	r.GET("/teach/versions/:version_id/media", p.mediaPage)
}

type mediaPage struct {
	Version Version
	OrgID   string // where uploads are kept: the course's owner
}

func (p *Pages) mediaPage(c echo.Context) error {
	v, err := p.version(c)
	if err != nil {
		return err
	}
	course, err := p.svc.Course(c.Request().Context(), v.CourseID)
	if err != nil {
		return err
	}
	return p.site.Render(c, http.StatusOK, "course/media", mediaPage{Version: v, OrgID: course.OrgID.String()})
}
