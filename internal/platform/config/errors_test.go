package config

import (
	"strings"
	"testing"
)

func TestErrorsNameTheVariableTheUserSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     []string
		want    string
		notWant string
	}{
		{"a listen address that is no address", []string{"CORPU_HTTP_ADDR=bogus"}, "config: CORPU_HTTP_ADDR (http.addr): must be host:port", ""},
		{"a port out of range", []string{"CORPU_HTTP_ADDR=:99999"}, "CORPU_HTTP_ADDR", ""},
		{"a bad URL", []string{"CORPU_DATABASE_URL=mysql://x"}, "CORPU_DATABASE_URL (database.url)", ""},
		{"production without a key, from the environment", []string{"CORPU_ENV=production", "CORPU_MAIL_SMTP_ADDR=mail:25"},
			"config: auth.signing_key_file", "CORPU_AUTH_SIGNING_KEY_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load("", tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load() error = %v, want one containing %q", err, tt.want)
			}
			if tt.notWant != "" && strings.Contains(err.Error(), tt.notWant) {
				t.Errorf("Load() error = %v names %s, which the user did not set", err, tt.notWant)
			}
		})
	}
}

func TestListenAddressesThatBind(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		":8080": true, "0.0.0.0:8080": true, "[::]:8080": true, "localhost:0": true,
		"bogus": false, "": false, ":http-alt": false, "8080": false, ":-1": false,
	} {
		if got := validListenAddr(addr); got != want {
			t.Errorf("validListenAddr(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestUnknownCorpuVariablesAreReportedWithTheNearestName(t *testing.T) {
	t.Parallel()
	got := UnknownEnv([]string{
		"CORPU_HTTP_ADRR=:9090",       // typo
		"CORPU_DATABSE_URL=postgres:", // typo
		"CORPU_FLUX_CAPACITOR=1",      // nothing near
		"CORPU_HTTP_ADDR=:8080",       // known
		"CORPU_TEST_REDIS_ADDR=x",     // the tests'
		"HOME=/root",                  // not ours
	})
	want := []string{
		"CORPU_DATABSE_URL is not a Corpu setting and is ignored (did you mean CORPU_DATABASE_URL?)",
		"CORPU_FLUX_CAPACITOR is not a Corpu setting and is ignored",
		"CORPU_HTTP_ADRR is not a Corpu setting and is ignored (did you mean CORPU_HTTP_ADDR?)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("UnknownEnv() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
