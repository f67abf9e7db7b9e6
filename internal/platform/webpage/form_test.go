package webpage

import (
	"strings"
	"testing"
	"time"
)

func TestADateTimeFieldIsReadAndShownInWesternIndonesiaTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2030-06-10T17:00", time.Date(2030, 6, 10, 10, 0, 0, 0, time.UTC), true},
		{" 2030-01-01T03:30 ", time.Date(2029, 12, 31, 20, 30, 0, 0, time.UTC), true},
		{"10-06-2030 17:00", time.Time{}, false},
		{"besok", time.Time{}, false},
	} {
		got, err := ParseDateTime(tc.in)
		if (err == nil) != tc.ok || tc.ok && !got.Equal(tc.want) {
			t.Errorf("ParseDateTime(%q) = %s, %v; want %s (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && DateTimeValue(got.UTC()) != strings.TrimSpace(tc.in) {
			t.Errorf("DateTimeValue(%s) = %q, want %q back", got, DateTimeValue(got.UTC()), strings.TrimSpace(tc.in))
		}
	}
}
