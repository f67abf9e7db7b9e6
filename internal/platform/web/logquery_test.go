package web

import "testing"

func TestTheAccessLogKeepsQueryNamesAndDropsTheirValues(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"/api/v1/users?q=budi%40diskominfo.bandung.go.id&limit=5": "/api/v1/users?q=…&limit=…",
		"/reset-password?token=cpr_AbC":                           "/reset-password?token=…",
		"/api/v1/me":                                              "/api/v1/me",
		"/api/v1/users?":                                          "/api/v1/users?",
		"/x?flag&&a=1":                                            "/x?flag&a=…",
	} {
		if got := loggedURI(uri); got != want {
			t.Errorf("loggedURI(%q) = %q, want %q", uri, got, want)
		}
	}
}
