// Package mail sends e-mail: through an SMTP server when one is configured,
// otherwise into the log, so a developer machine needs no mail server and
// still sees every link Corpu would have mailed.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"

	"github.com/corpu/corpu/internal/platform/config"
)

// Message is one plain-text e-mail to one recipient.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// NewSender returns an SMTP sender when cfg names a server, and otherwise a
// sender that writes each message to log (development; configuration
// validation refuses production without SMTP). The log shows links with
// their secret part masked and the recipient's mailbox shortened, unless
// cfg.LogSecrets asks for them whole.
func NewSender(cfg config.Mail, log *slog.Logger) Sender {
	if cfg.SMTPAddr == "" {
		return logSender{log: log, whole: cfg.LogSecrets}
	}
	return &smtpSender{cfg: cfg, timeout: 30 * time.Second}
}

// logSender writes messages to the log instead of sending them.
type logSender struct {
	log   *slog.Logger
	whole bool // log recipients and links unmasked
}

func (s logSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	if s.whole {
		s.log.InfoContext(ctx, "mail not sent (mail.smtp_addr is empty); its content follows",
			"to", m.To, "subject", m.Subject, "text", m.Text)
		return nil
	}
	s.log.InfoContext(ctx, "mail not sent (mail.smtp_addr is empty); its content follows with links masked (mail.log_secrets shows them)",
		"to", MaskAddress(m.To), "subject", m.Subject, "text", MaskLinks(m.Text))
	return nil
}

// ErrInvalidMessage is returned for a message that can never be sent: a bad
// recipient, or a line break in a header.
var ErrInvalidMessage = errors.New("mail: invalid message")

func (m Message) validate() error {
	if _, err := netmail.ParseAddress(m.To); err != nil || strings.ContainsAny(m.To, "\r\n") {
		return fmt.Errorf("%w: recipient %q", ErrInvalidMessage, MaskAddress(m.To)) // errors are logged
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return fmt.Errorf("%w: line break in subject", ErrInvalidMessage)
	}
	return nil
}

// smtpSender sends through an SMTP server: STARTTLS whenever the server
// offers it, and PLAIN authentication when a username is configured (net/smtp
// refuses to send the password unencrypted except to localhost).
type smtpSender struct {
	cfg     config.Mail
	timeout time.Duration
}

func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	from, err := netmail.ParseAddress(s.cfg.From)
	if err != nil {
		return fmt.Errorf("mail: from address %q: %w", s.cfg.From, err)
	}
	to, _ := netmail.ParseAddress(m.To)
	body, err := compose(from, to, m, time.Now())
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(s.cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("mail: smtp_addr %q: %w", s.cfg.SMTPAddr, err)
	}

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.SMTPAddr)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", s.cfg.SMTPAddr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	// Closing the connection when ctx ends unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail: smtp greeting from %s: %w", s.cfg.SMTPAddr, err)
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, host)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("mail: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of message: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mail: QUIT: %w", err)
	}
	return nil
}

// compose renders m as an RFC 5322 message in UTF-8, the body
// quoted-printable so long lines and non-ASCII text survive any relay.
func compose(from, to *netmail.Address, m Message, now time.Time) ([]byte, error) {
	var b bytes.Buffer
	domain := "corpu.local"
	if _, d, ok := strings.Cut(from.Address, "@"); ok && d != "" {
		domain = d
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Text, "\r\n", "\n"))); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mail: encode body: %w", err)
	}
	return b.Bytes(), nil
}

// helloName is the name Corpu gives itself in EHLO: the host name, which
// some servers insist on, or "localhost" as net/smtp would say.
func helloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}
