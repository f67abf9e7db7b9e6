// Package apperr defines the kinds of error every domain returns and the one
// place that maps each kind to an HTTP status. Domain packages create errors
// with a kind, a stable code and a message in Indonesian and English; the web
// layer turns them into RFC 9457 problem documents.
package apperr

import (
	"errors"
	"net/http"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds, each with one HTTP status.
const (
	KindInternal     Kind = iota // a bug or a failed dependency we did not expect
	KindInvalid                  // well-formed but breaks a rule (422)
	KindMalformed                // cannot be parsed (400)
	KindUnauthorized             // not signed in (401)
	KindForbidden                // signed in but may not (403; used only where the thing is visible)
	KindNotFound                 // absent or not visible to the caller (404)
	KindConflict                 // clashes with current state (409)
	KindPrecondition             // If-Match failed (412)
	KindTooLarge                 // body or file too large (413)
	KindUnsupported              // unsupported media type (415)
	KindRateLimited              // too many requests (429)
	KindUnavailable              // a dependency is down (503)
)

var statusByKind = map[Kind]int{
	KindInternal:     http.StatusInternalServerError,
	KindInvalid:      http.StatusUnprocessableEntity,
	KindMalformed:    http.StatusBadRequest,
	KindUnauthorized: http.StatusUnauthorized,
	KindForbidden:    http.StatusForbidden,
	KindNotFound:     http.StatusNotFound,
	KindConflict:     http.StatusConflict,
	KindPrecondition: http.StatusPreconditionFailed,
	KindTooLarge:     http.StatusRequestEntityTooLarge,
	KindUnsupported:  http.StatusUnsupportedMediaType,
	KindRateLimited:  http.StatusTooManyRequests,
	KindUnavailable:  http.StatusServiceUnavailable,
}

// Status returns the HTTP status for a kind.
func (k Kind) Status() int { return statusByKind[k] }

// Text is a user-facing message in the two languages Corpu speaks.
type Text struct {
	ID string // Bahasa Indonesia, the default
	EN string
}

// In returns the message in the given language ("id" or "en").
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	if t.ID == "" {
		return t.EN
	}
	return t.ID
}

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	Field   string
	Message Text
}

// Error is a domain error with a kind, a stable code and a bilingual message.
type Error struct {
	Kind       Kind
	Code       string // stable, e.g. "identity.nip_invalid"; becomes the problem type
	Message    Text
	Fields     []FieldError
	RetryAfter int // seconds, for KindRateLimited and KindUnavailable
	// Extensions are extra members of the problem document (RFC 9457 §3.2),
	// already in their wire form, e.g. the sessions a schedule clashes with.
	Extensions map[string]any
	Err        error
}

func (e *Error) Error() string {
	msg := e.Code + ": " + e.Message.EN
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match two domain errors by code, so a package can declare
// sentinel errors and still return copies carrying fields or a cause.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Code == e.Code && t.Code != ""
}

// New returns an error of the kind with a code and a message in Indonesian and English.
func New(kind Kind, code, id, en string) *Error {
	return &Error{Kind: kind, Code: code, Message: Text{ID: id, EN: en}}
}

// Wrap returns a copy of e with cause attached.
func (e *Error) Wrap(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// WithExtension returns a copy of e whose problem document carries name.
func (e *Error) WithExtension(name string, value any) *Error {
	c := *e
	c.Extensions = make(map[string]any, len(e.Extensions)+1)
	for k, v := range e.Extensions {
		c.Extensions[k] = v
	}
	c.Extensions[name] = value
	return &c
}

// WithRetryAfter returns a copy of e telling the client when to try again.
func (e *Error) WithRetryAfter(seconds int) *Error {
	c := *e
	c.RetryAfter = seconds
	return &c
}

// Validation collects per-field problems; Err returns nil when there are none.
type Validation struct {
	fields []FieldError
}

// Add records a problem with a field.
func (v *Validation) Add(field, id, en string) {
	v.fields = append(v.fields, FieldError{Field: field, Message: Text{ID: id, EN: en}})
}

// Check records the problem when ok is false.
func (v *Validation) Check(ok bool, field, id, en string) {
	if !ok {
		v.Add(field, id, en)
	}
}

// Err returns an Invalid error listing every field problem, or nil.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{
		Kind:    KindInvalid,
		Code:    "validation",
		Message: Text{ID: "Data yang dikirim tidak valid.", EN: "The request has invalid fields."},
		Fields:  v.fields,
	}
}

// Invalid returns an Invalid error for a single field.
func Invalid(field, id, en string) error {
	var v Validation
	v.Add(field, id, en)
	return v.Err()
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// As returns the *Error in err's chain, or an internal error wrapping err.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{
		Kind:    KindInternal,
		Code:    "internal",
		Message: Text{ID: "Terjadi kesalahan internal.", EN: "Internal error."},
		Err:     err,
	}
}
