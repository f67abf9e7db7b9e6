package course

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/web"
)

// Handler serves courses, versions, curricula, reviews, the catalogue and
// learning paths under /api/v1.
type Handler struct{ svc *Service }

// NewHandler returns the course HTTP handler.
func NewHandler(svc *Service) *Handler { return &Handler{svc: svc} }

// Mount registers the routes on the authenticated API group.
func (h *Handler) Mount(api *echo.Group) {
	api.GET("/catalogue", h.catalogue)

	api.GET("/courses", h.listCourses)
	api.POST("/courses", h.createCourse)
	api.GET("/courses/:course_id", h.getCourse)
	api.PATCH("/courses/:course_id", h.updateCourse)
	api.POST("/courses/:course_id/archive", h.archiveCourse)
	api.POST("/courses/:course_id/drafts", h.newDraft)
	api.GET("/courses/:course_id/versions", h.listVersions)

	api.GET("/course-versions/:version_id", h.getVersion)
	api.PATCH("/course-versions/:version_id", h.updateVersion)
	api.POST("/course-versions/:version_id/modules", h.addModule)
	api.POST("/course-versions/:version_id/reorder", h.reorder)
	api.POST("/course-versions/:version_id/submit", h.submit)
	api.POST("/course-versions/:version_id/reviews", h.review)
	api.GET("/course-versions/:version_id/reviews", h.listReviews)
	api.GET("/course-versions/:version_id/similar", h.similar)

	api.PATCH("/modules/:module_id", h.updateModule)
	api.DELETE("/modules/:module_id", h.deleteModule)
	api.POST("/modules/:module_id/lessons", h.addLesson)
	api.PATCH("/lessons/:lesson_id", h.updateLesson)
	api.DELETE("/lessons/:lesson_id", h.deleteLesson)
	api.POST("/lessons/:lesson_id/items", h.addItem)
	api.PATCH("/items/:item_id", h.updateItem)
	api.DELETE("/items/:item_id", h.deleteItem)
	api.GET("/items/:item_id/media", h.media)

	api.GET("/learning-paths", h.listPaths)
	api.POST("/learning-paths", h.createPath)
	api.GET("/learning-paths/:path_id", h.getPath)
	api.PATCH("/learning-paths/:path_id", h.updatePath)
	api.DELETE("/learning-paths/:path_id", h.deletePath)
}

// --- handlers ---

func (h *Handler) catalogue(c echo.Context) error {
	var v apperr.Validation
	f := CatalogueFilter{Query: c.QueryParam("q"), Tag: c.QueryParam("tag"), Competency: c.QueryParam("competency"),
		OrgID: web.QueryID(c, &v, "org_id"), Mode: DeliveryMode(c.QueryParam("mode")), Level: Level(c.QueryParam("level")),
		Language: Language(c.QueryParam("language"))}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "title", "published_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Catalogue(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toCatalogueEntryResponse))
}

func (h *Handler) listCourses(c echo.Context) error {
	var v apperr.Validation
	f := CourseFilter{OrgID: web.QueryID(c, &v, "org_id"), Query: c.QueryParam("q")}
	switch c.QueryParam("archived") {
	case "", "false":
	case "true":
		f.Archived = true
	default:
		v.Add("archived", "harus true atau false", "must be true or false")
	}
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "code")
	if err != nil {
		return err
	}
	res, err := h.svc.Courses(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toCourseResponse))
}

func (h *Handler) createCourse(c echo.Context) error {
	var req createCourseRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	course, err := h.svc.CreateCourse(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/courses/"+course.ID.String())
	return c.JSON(http.StatusCreated, toCourseResponse(course))
}

func (h *Handler) getCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	course, err := h.svc.Course(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) updateCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	var req updateCourseRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	course, err := h.svc.UpdateCourse(c.Request().Context(), id, req.toPatch())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) archiveCourse(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	course, err := h.svc.ArchiveCourse(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toCourseResponse(course))
}

func (h *Handler) newDraft(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	v, err := h.svc.NewDraft(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/course-versions/"+v.ID.String())
	return writeVersion(c, http.StatusCreated, v)
}

func (h *Handler) listVersions(c echo.Context) error {
	id, err := web.PathID(c, "course_id", ErrCourseNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c)
	if err != nil {
		return err
	}
	versions, err := h.svc.Versions(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(versions, toVersionResponse))
}

func (h *Handler) getVersion(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	v, err := h.svc.Version(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) updateVersion(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req versionFieldsRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	v, err := h.svc.UpdateVersion(c.Request().Context(), id, req.toPatch(), ifMatch(c))
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) reorder(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req reorderRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	v, err := h.svc.Reorder(c.Request().Context(), id, req.toOutline(), ifMatch(c))
	if err != nil {
		return err
	}
	return writeVersion(c, http.StatusOK, v)
}

func (h *Handler) submit(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	v, similar, err := h.svc.Submit(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", v.ETag())
	return c.JSON(http.StatusOK, submitResponse{Version: toVersionResponse(v), Similar: web.ConvertAll(similar, toSimilarResponse)})
}

func (h *Handler) review(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req reviewRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	r, v, err := h.svc.Review(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, reviewResultResponse{Review: toReviewResponse(r), Version: toVersionResponse(v)})
}

func (h *Handler) listReviews(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "created_at")
	if err != nil {
		return err
	}
	res, err := h.svc.Reviews(c.Request().Context(), id, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toReviewResponse))
}

func (h *Handler) similar(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	similar, err := h.svc.Similar(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": web.ConvertAll(similar, toSimilarResponse)})
}

func (h *Handler) addModule(c echo.Context) error {
	id, err := web.PathID(c, "version_id", ErrVersionNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	m, err := h.svc.AddModule(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toModuleResponse(m))
}

func (h *Handler) updateModule(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	m, err := h.svc.UpdateModule(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	m.Lessons = []Lesson{}
	return c.JSON(http.StatusOK, toModuleResponse(m))
}

func (h *Handler) deleteModule(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteModule(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) addLesson(c echo.Context) error {
	id, err := web.PathID(c, "module_id", ErrModuleNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	l, err := h.svc.AddLesson(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toLessonResponse(l))
}

func (h *Handler) updateLesson(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	var req moduleRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	l, err := h.svc.UpdateLesson(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	l.Items = []Item{}
	return c.JSON(http.StatusOK, toLessonResponse(l))
}

func (h *Handler) deleteLesson(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteLesson(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) addItem(c echo.Context) error {
	id, err := web.PathID(c, "lesson_id", ErrLessonNotFound)
	if err != nil {
		return err
	}
	var req itemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	it, err := h.svc.AddItem(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toItemResponse(it))
}

func (h *Handler) updateItem(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	var req itemRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	it, err := h.svc.UpdateItem(c.Request().Context(), id, req.toInput())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toItemResponse(it))
}

func (h *Handler) deleteItem(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteItem(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *Handler) media(c echo.Context) error {
	id, err := web.PathID(c, "item_id", ErrItemNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.MediaURL(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, mediaResponse{URL: p.URL, Method: p.Method, ExpiresAt: p.ExpiresAt})
}

func (h *Handler) listPaths(c echo.Context) error {
	var v apperr.Validation
	orgID := web.QueryID(c, &v, "org_id")
	if err := v.Err(); err != nil {
		return err
	}
	req, err := web.PageRequest(c, "title")
	if err != nil {
		return err
	}
	res, err := h.svc.Paths(c.Request().Context(), orgID, c.QueryParam("q"), req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toPathResponse))
}

func (h *Handler) createPath(c echo.Context) error {
	var req createPathRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.CreatePath(c.Request().Context(), req.toInput())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/learning-paths/"+p.ID.String())
	return c.JSON(http.StatusCreated, toPathResponse(p))
}

func (h *Handler) getPath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Path(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPathResponse(p))
}

func (h *Handler) updatePath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	var req updatePathRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.UpdatePath(c.Request().Context(), id, req.toPatch())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPathResponse(p))
}

func (h *Handler) deletePath(c echo.Context) error {
	id, err := web.PathID(c, "path_id", ErrPathNotFound)
	if err != nil {
		return err
	}
	if err := h.svc.DeletePath(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
