package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/csvio"
	"github.com/corpu/corpu/internal/platform/page"
	"github.com/corpu/corpu/internal/platform/web"
)

func (h *Handler) enrol(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	e, created, err := h.svc.Enrol(c.Request().Context(), id)
	if err != nil {
		return withClashes(c, err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/enrolments/"+e.ID.String())
	return c.JSON(createdOrOK(created), toEnrolmentResponse(e))
}

func (h *Handler) listClassEnrolments(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	f, err := enrolmentFilterFrom(c)
	if err != nil {
		return err
	}
	req, err := web.PageRequest(c, "enrolled_at")
	if err != nil {
		return err
	}
	res, err := h.svc.ClassEnrolments(c.Request().Context(), id, f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toEnrolmentResponse))
}

// maxCSVRows bounds the lines read from a CSV assignment.
const maxCSVRows = MaxBulkEnrolment + 1

func (h *Handler) enrolInBulk(c echo.Context) error {
	id, err := web.PathID(c, "class_id", ErrClassNotFound)
	if err != nil {
		return err
	}
	var in BulkEnrolInput
	mediaType, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mediaType == "text/csv" {
		if in.NIPs, err = readNIPs(c.Request().Body); err != nil {
			return err
		}
		if len(in.NIPs) == 0 {
			return apperr.Invalid("nip", "daftar NIP kosong", "the list of NIPs is empty")
		}
	} else {
		var req assignRequest
		if err := web.Bind(c, &req); err != nil {
			return err
		}
		in = BulkEnrolInput(req)
	}
	res, err := h.svc.EnrolInBulk(c.Request().Context(), id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toBulkEnrolResponse(res, web.Language(c.Request())))
}

// readNIPs reads a CSV list of NIPs: one per line, or a column headed "nip"
// among others. A semicolon-separated file (as spreadsheets in Indonesian
// locales save) is read as well as a comma-separated one.
func readNIPs(body io.Reader) ([]string, error) {
	data, err := web.ReadBody(body)
	if err != nil {
		return nil, err
	}
	malformed := func(err error) error {
		return apperr.New(apperr.KindMalformed, "malformed", "Berkas CSV tidak valid.", "The CSV file is not valid.").Wrap(err)
	}
	r, err := csvio.NewReader(bytes.NewReader(data))
	if errors.Is(err, csvio.ErrEmpty) {
		return nil, nil
	}
	if err != nil {
		return nil, malformed(err)
	}
	var nips []string
	add := func(rec []string, col int) error {
		if col >= len(rec) || len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return nil
		}
		if nips = append(nips, rec[col]); len(nips) > MaxBulkEnrolment {
			return apperr.Invalid("nip", "paling banyak 2000 NIP per berkas", "at most 2000 NIPs per file")
		}
		return nil
	}
	col := r.Column("nip")
	if col < 0 { // no header: the first line is a NIP too
		col = 0
		if err := add(r.Header(), col); err != nil {
			return nil, err
		}
	}
	for {
		rec, _, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nips, nil
		}
		if err != nil {
			return nil, malformed(err)
		}
		if err := add(rec, col); err != nil {
			return nil, err
		}
	}
}

func (h *Handler) getEnrolment(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	e, err := h.svc.Enrolment(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEnrolmentResponse(e))
}

func (h *Handler) withdraw(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Withdraw)
}

func (h *Handler) approve(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Approve)
}

func (h *Handler) reject(c echo.Context) error {
	return h.enrolmentAction(c, h.svc.Reject)
}

func (h *Handler) enrolmentAction(c echo.Context, action func(ctx context.Context, id uuid.UUID) (Enrolment, error)) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	e, err := action(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEnrolmentResponse(e))
}

func (h *Handler) myEnrolments(c echo.Context) error {
	return enrolmentList(c, h.svc.MyEnrolments)
}

func (h *Handler) teamEnrolments(c echo.Context) error {
	return enrolmentList(c, h.svc.TeamEnrolments)
}

// enrolmentList serves a list of enrolments that is not a class's, newest first.
func enrolmentList(c echo.Context, list func(context.Context, EnrolmentFilter, page.Request) (page.Result[Enrolment], error)) error {
	f, err := enrolmentFilterFrom(c)
	if err != nil {
		return err
	}
	req, err := pageRequest(c, "-enrolled_at", "enrolled_at")
	if err != nil {
		return err
	}
	res, err := list(c.Request().Context(), f, req)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, web.NewListResponse(res, toEnrolmentResponse))
}

func (h *Handler) recordProgress(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	var req progressRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	p, err := h.svc.RecordProgress(c.Request().Context(), id, ProgressInput(req))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgressResponse(p))
}

func (h *Handler) getProgress(c echo.Context) error {
	id, err := web.PathID(c, "enrolment_id", ErrEnrolmentNotFound)
	if err != nil {
		return err
	}
	p, err := h.svc.Progress(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toProgressResponse(p))
}

func (h *Handler) myJP(c echo.Context) error {
	year := 0
	if raw := c.QueryParam("year"); raw != "" {
		y, err := strconv.Atoi(raw)
		if err != nil {
			return apperr.Invalid("year", "harus berupa tahun, mis. 2026", "must be a year such as 2026")
		}
		year = y
	}
	l, err := h.svc.MyJP(c.Request().Context(), year)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJPResponse(l))
}
