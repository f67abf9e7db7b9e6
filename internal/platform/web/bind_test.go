package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/config"
)

// optionalField decodes like the handlers' nullable request fields: a value
// decoded by a json.Unmarshal of its own.
type optionalField[T any] struct{ value *T }

func (o *optionalField[T]) UnmarshalJSON(b []byte) error {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.value = &v
	return nil
}

type typedRequest struct {
	JPCredit  optionalField[float64]   `json:"jp_credit"`
	Capacity  int                      `json:"capacity"`
	ManagerID optionalField[uuid.UUID] `json:"manager_id"`
	OrgID     uuid.UUID                `json:"org_id"`
	StartsAt  time.Time                `json:"starts_at"`
	Required  *bool                    `json:"required"`
	Tags      []string                 `json:"tags"`
	Checklist struct {
		Objectives bool `json:"objectives"`
	} `json:"checklist"`
}

func TestATypeErrorNamesTheFieldInTheAPIsTerms(t *testing.T) {
	tests := []struct {
		name, body, field, wantID, wantEN string
	}{
		{"a number as a string in an optional field", `{"jp_credit":"8"}`, "jp_credit", "harus berupa angka, bukan teks", "must be a number, not a string"},
		{"a fraction for a whole number", `{"capacity":1.5}`, "capacity", "harus berupa bilangan bulat, bukan angka", "must be a whole number, not a number"},
		{"a number for a uuid", `{"org_id":7}`, "org_id", "harus berupa UUID (teks), bukan angka", "must be a UUID (a string), not a number"},
		{"a number for a date-time", `{"starts_at":7}`, "starts_at", "RFC 3339", "must be an RFC 3339 date-time (a string)"},
		{"a date that is not one", `{"capacity":3,"starts_at":"31-02-2026"}`, "starts_at", "RFC 3339", "must be an RFC 3339 date-time (a string)"},
		{"a uuid that is not one", `{"org_id":"abc"}`, "org_id", "UUID", "must be a UUID (a string)"},
		{"an optional uuid that is not one", `{"manager_id":"abc"}`, "manager_id", "UUID", "must be a UUID (a string)"},
		{"a string for a boolean", `{"required":"yes"}`, "required", "harus berupa true atau false, bukan teks", "must be true or false, not a string"},
		{"an object for a list", `{"tags":{}}`, "tags", "harus berupa daftar (array), bukan objek", "must be a list (an array), not an object"},
		{"a nested field", `{"checklist":{"objectives":1}}`, "checklist.objectives", "true atau false", "must be true or false, not a number"},
		{"a list for the body", `[]`, "(body)", "harus berupa objek", "must be an object, not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			var req typedRequest
			err := Bind(echo.New().NewContext(r, httptest.NewRecorder()), &req)
			var e *apperr.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 {
				t.Fatalf("decodeError = %v, want one field error", err)
			}
			f := e.Fields[0]
			if f.Field != tt.field || !strings.Contains(f.Message.ID, tt.wantID) || f.Message.EN != tt.wantEN {
				t.Errorf("field error = %s: %q / %q, want %s: %q / %q", f.Field, f.Message.ID, f.Message.EN, tt.field, tt.wantID, tt.wantEN)
			}
			for _, goName := range []string{"float64", "int", "uuid", "UUID.", "time.Time", "typedRequest", "[]string", "bool"} {
				if strings.Contains(f.Field+f.Message.EN+f.Message.ID, goName) {
					t.Errorf("field error %s: %q / %q names the Go type %s", f.Field, f.Message.ID, f.Message.EN, goName)
				}
			}
		})
	}
}

func TestReadinessSaysWhatIsDownInTheCallersLanguage(t *testing.T) {
	e := New(Options{
		Config: config.HTTP{BodyLimitBytes: 256, RequestTimeoutSeconds: 5},
		Log:    slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(),
		Checks: map[string]Check{
			"redis":    func(context.Context) error { return errors.New("connection refused") },
			"database": func(context.Context) error { return nil },
		},
	})
	tests := []struct{ lang, wantTitle, wantDetail string }{
		{"", "Layanan", "Belum siap; tidak terjangkau: redis."},
		{"en-GB,en;q=0.9", "Service", "Not ready; unreachable: redis."},
		{"id", "Layanan", "Belum siap; tidak terjangkau: redis."},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
		if tt.lang != "" {
			req.Header.Set("Accept-Language", tt.lang)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		var p struct{ Title, Detail string }
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("readyz = %d %s", rec.Code, rec.Body)
		}
		if !strings.HasPrefix(p.Title, tt.wantTitle) || p.Detail != tt.wantDetail {
			t.Errorf("Accept-Language %q: title %q, detail %q; want %q…, %q", tt.lang, p.Title, p.Detail, tt.wantTitle, tt.wantDetail)
		}
	}
}
