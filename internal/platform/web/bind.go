package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/corpu/corpu/internal/platform/apperr"
)

var (
	errNotJSON = apperr.New(apperr.KindUnsupported, "unsupported_media_type",
		"Isi permintaan harus berupa JSON (Content-Type: application/json).",
		"The request body must be JSON (Content-Type: application/json).")
	errEmptyBody = apperr.New(apperr.KindMalformed, "malformed",
		"Isi permintaan kosong.", "The request body is empty.")
	errBodyTooLarge = apperr.New(apperr.KindTooLarge, "request_entity_too_large",
		"Isi permintaan melebihi batas ukuran.", "The request body is larger than allowed.")
	errUnreadableBody = apperr.New(apperr.KindMalformed, "malformed",
		"Isi permintaan tidak dapat dibaca.", "The request body could not be read.")
)

// BodyError is the one place where a failure to read a request body becomes
// a problem: over the size limit (http.MaxBytesReader, or Echo's body limit)
// is 413, anything else 400. Whatever reads a body (Bind, the idempotency
// middleware, a CSV upload) answers with it.
func BodyError(err error) error {
	var maxErr *http.MaxBytesError
	var he *echo.HTTPError
	if errors.As(err, &maxErr) || errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
		return errBodyTooLarge.Wrap(err)
	}
	return errUnreadableBody.Wrap(err)
}

// ReadBody reads a whole request body, answering a failure with BodyError.
func ReadBody(body io.Reader) ([]byte, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, BodyError(err)
	}
	return data, nil
}

// Bind decodes the JSON body into v strictly: the content type must be JSON,
// unknown fields and trailing data are refused, and a wrong type names the
// field. Path and query parameters are read by handlers themselves.
func Bind(c echo.Context, v any) error {
	req := c.Request()
	mediaType, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if mediaType != echo.MIMEApplicationJSON {
		return errNotJSON
	}
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.New(apperr.KindMalformed, "malformed",
			"Isi permintaan memuat data setelah objek JSON.", "The request body has data after the JSON object.")
	}
	return nil
}

func decodeError(err error) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errEmptyBody
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.KindMalformed, "malformed",
			"Isi permintaan bukan JSON yang valid.", "The request body is not valid JSON.").Wrap(err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		e := apperr.New(apperr.KindMalformed, "malformed", "Tipe data salah.", "A field has the wrong type.")
		e.Fields = []apperr.FieldError{{Field: field, Message: apperr.Text{
			ID: fmt.Sprintf("harus bertipe %s", typeErr.Type), EN: fmt.Sprintf("must be of type %s", typeErr.Type),
		}}}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := apperr.New(apperr.KindMalformed, "malformed", "Ada kolom yang tidak dikenal.", "The request has an unknown field.")
		e.Fields = []apperr.FieldError{{Field: field, Message: apperr.Text{ID: "kolom tidak dikenal", EN: "unknown field"}}}
		return e
	default:
		// A read failure (the size limit among them), not a JSON one.
		return BodyError(err)
	}
}
