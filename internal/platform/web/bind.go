package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

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
	body, err := ReadBody(req.Body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if e := valueError(err, body, v); e != nil {
			return e
		}
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
		want, got := plainType(typeErr.Type), plainValue(typeErr.Value)
		e := apperr.New(apperr.KindMalformed, "malformed", "Tipe data salah.", "A field has the wrong type.")
		e.Fields = []apperr.FieldError{{Field: field, Message: apperr.Text{
			ID: fmt.Sprintf("harus berupa %s, bukan %s", want.ID, got.ID), EN: fmt.Sprintf("must be %s, not %s", want.EN, got.EN),
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

// valueError answers the error of a value's own decoder (a time, a UUID)
// that encoding/json gives without its field: the top-level member whose
// value fails alone is named, with what it must be. It is nil for the
// errors decodeError knows.
func valueError(err error, body []byte, v any) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &syntaxErr) || errors.As(err, &typeErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.HasPrefix(err.Error(), "json: unknown field ") {
		return nil
	}
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil
	}
	for name, raw := range members {
		one, _ := json.Marshal(map[string]json.RawMessage{name: raw})
		if json.Unmarshal(one, reflect.New(t.Elem()).Interface()) == nil {
			continue
		}
		want := apperr.Text{ID: "nilai yang valid", EN: "a valid value"}
		if f, ok := jsonField(t.Elem(), name); ok {
			want = plainType(f.Type)
		}
		e := apperr.New(apperr.KindMalformed, "malformed", "Tipe data salah.", "A field has the wrong type.")
		e.Fields = []apperr.FieldError{{Field: name, Message: apperr.Text{
			ID: "harus berupa " + want.ID, EN: "must be " + want.EN,
		}}}
		return e
	}
	return nil
}

// jsonField returns the field of struct type t that JSON calls name.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name || (tag == "" && strings.EqualFold(f.Name, name)) {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	uuidType    = reflect.TypeFor[[16]byte]()
	textUnmarsh = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarsh = reflect.TypeFor[json.Unmarshaler]()
)

// plainType says in words what a JSON value of Go type t must be, without
// the Go type's name.
func plainType(t reflect.Type) apperr.Text {
	if t == nil {
		return apperr.Text{ID: "nilai lain", EN: "another value"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return apperr.Text{ID: "tanggal-waktu RFC 3339 (teks)", EN: "an RFC 3339 date-time (a string)"}
	case t.Kind() == reflect.Array && t.ConvertibleTo(uuidType):
		return apperr.Text{ID: "UUID (teks)", EN: "a UUID (a string)"}
	case reflect.PointerTo(t).Implements(textUnmarsh):
		return apperr.Text{ID: "teks", EN: "a string"}
	case t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(jsonUnmarsh):
		// a wrapper such as an optional field: what its value must be
		for _, name := range []string{"value", "Value"} {
			if f, ok := t.FieldByName(name); ok {
				return plainType(f.Type)
			}
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return apperr.Text{ID: "true atau false", EN: "true or false"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return apperr.Text{ID: "bilangan bulat", EN: "a whole number"}
	case reflect.Float32, reflect.Float64:
		return apperr.Text{ID: "angka", EN: "a number"}
	case reflect.String:
		return apperr.Text{ID: "teks", EN: "a string"}
	case reflect.Slice, reflect.Array:
		return apperr.Text{ID: "daftar (array)", EN: "a list (an array)"}
	case reflect.Map, reflect.Struct:
		return apperr.Text{ID: "objek", EN: "an object"}
	}
	return apperr.Text{ID: "nilai lain", EN: "another value"}
}

// plainValue names the kind of JSON value the decoder found ("string",
// "number", "number 1.5", "bool", "array", "object").
func plainValue(v string) apperr.Text {
	switch {
	case v == "string":
		return apperr.Text{ID: "teks", EN: "a string"}
	case v == "number" || strings.HasPrefix(v, "number "):
		return apperr.Text{ID: "angka", EN: "a number"}
	case v == "bool":
		return apperr.Text{ID: "true/false", EN: "true or false"}
	case v == "array":
		return apperr.Text{ID: "daftar", EN: "a list"}
	case v == "object":
		return apperr.Text{ID: "objek", EN: "an object"}
	}
	return apperr.Text{ID: v, EN: v}
}
