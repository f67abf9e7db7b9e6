package mail

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/config"
)

// received is what the test SMTP server got in one session.
type received struct {
	auth string // the decoded AUTH PLAIN response
	from string
	to   []string
	data string
}

// startSMTPServer runs a minimal SMTP server on 127.0.0.1 for one session:
// enough of RFC 5321 for net/smtp (greeting, EHLO, AUTH PLAIN, MAIL, RCPT,
// DATA, QUIT). rejectRcpt makes it refuse every recipient.
func startSMTPServer(t *testing.T, rejectRcpt bool) (addr string, got <-chan received) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	out := make(chan received, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		tp := textproto.NewConn(conn)
		var r received
		reply := func(line string) { _ = tp.PrintfLine("%s", line) }
		reply("220 test.local ESMTP ready")
		for {
			line, err := tp.ReadLine()
			if err != nil {
				return
			}
			verb, arg, _ := strings.Cut(line, " ")
			switch strings.ToUpper(verb) {
			case "EHLO":
				reply("250-test.local")
				reply("250-8BITMIME")
				reply("250 AUTH PLAIN")
			case "AUTH":
				_, b64, _ := strings.Cut(arg, " ")
				creds, _ := base64.StdEncoding.DecodeString(b64)
				r.auth = string(creds)
				reply("235 2.7.0 Authentication successful")
			case "MAIL":
				r.from = arg
				reply("250 2.1.0 OK")
			case "RCPT":
				if rejectRcpt {
					reply("550 5.1.1 No such user")
					continue
				}
				r.to = append(r.to, arg)
				reply("250 2.1.5 OK")
			case "DATA":
				reply("354 End data with <CR><LF>.<CR><LF>")
				data, err := tp.ReadDotBytes()
				if err != nil {
					return
				}
				r.data = string(data)
				reply("250 2.0.0 Queued")
			case "QUIT":
				reply("221 2.0.0 Bye")
				out <- r
				return
			case "RSET", "NOOP":
				reply("250 OK")
			default:
				reply("502 5.5.2 Command not recognized")
			}
		}
	}()
	return ln.Addr().String(), out
}

func TestSMTPSenderDeliversTheMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		username string
		wantAuth string
	}{
		{"without authentication", "", ""},
		{"with PLAIN authentication", "corpu", "\x00corpu\x00s3cret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr, got := startSMTPServer(t, false)
			sender := NewSender(config.Mail{SMTPAddr: addr, From: "Corpu <no-reply@corpu.go.id>",
				Username: tt.username, Password: "s3cret"}, slog.New(slog.DiscardHandler))
			msg := Message{
				To:      "budi@kemenkeu.go.id",
				Subject: "Atur ulang kata sandi — Corpu",
				Text:    "Halo Budi,\n\nBuka tautan ini:\nhttp://localhost:8080/reset-password?token=cpr_abc\n.\nSalam.\n",
			}
			if err := sender.Send(context.Background(), msg); err != nil {
				t.Fatalf("Send() = %v, want nil", err)
			}
			var r received
			select {
			case r = <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("the SMTP server received nothing within 10 s")
			}
			if r.auth != tt.wantAuth {
				t.Errorf("AUTH PLAIN = %q, want %q", r.auth, tt.wantAuth)
			}
			if !strings.Contains(r.from, "<no-reply@corpu.go.id>") {
				t.Errorf("MAIL = %q, want FROM:<no-reply@corpu.go.id>", r.from)
			}
			if len(r.to) != 1 || !strings.Contains(r.to[0], "<budi@kemenkeu.go.id>") {
				t.Errorf("RCPT = %q, want one TO:<budi@kemenkeu.go.id>", r.to)
			}
			parsed, err := netmail.ReadMessage(strings.NewReader(r.data))
			if err != nil {
				t.Fatalf("parse delivered message: %v\n%s", err, r.data)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
			if err != nil || subject != msg.Subject {
				t.Errorf("Subject = %q, %v; want %q", subject, err, msg.Subject)
			}
			body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
			if err != nil {
				t.Fatalf("decode body: %v", err)
			}
			if got, want := strings.ReplaceAll(string(body), "\r\n", "\n"), msg.Text; got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
			if parsed.Header.Get("Message-Id") == "" || parsed.Header.Get("Date") == "" {
				t.Errorf("headers = %v, want a Message-ID and a Date", parsed.Header)
			}
		})
	}
}

func TestSMTPSenderReportsARefusedRecipient(t *testing.T) {
	t.Parallel()
	addr, _ := startSMTPServer(t, true)
	sender := NewSender(config.Mail{SMTPAddr: addr, From: "no-reply@corpu.go.id"}, slog.New(slog.DiscardHandler))
	err := sender.Send(context.Background(), Message{To: "nobody@corpu.go.id", Subject: "x", Text: "y"})
	if err == nil || !strings.Contains(err.Error(), "RCPT") {
		t.Errorf("Send(refused recipient) = %v, want an error naming RCPT", err)
	}
}

func TestLogSenderWritesTheMessageToTheLog(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	sender := NewSender(config.Mail{From: "no-reply@corpu.local", LogSecrets: true}, slog.New(slog.NewJSONHandler(&buf, nil)))
	if _, ok := sender.(logSender); !ok {
		t.Fatalf("NewSender(no smtp_addr) = %T, want the log sender", sender)
	}
	msg := Message{To: "siti@bkn.go.id", Subject: "Verifikasi e-mail", Text: "http://localhost:8080/verify-email?token=cev_x"}
	if err := sender.Send(context.Background(), msg); err != nil {
		t.Fatalf("Send() = %v, want nil", err)
	}
	line := buf.String()
	for _, want := range []string{`"level":"INFO"`, msg.To, msg.Subject, "verify-email?token=cev_x"} {
		if !strings.Contains(line, want) {
			t.Errorf("log = %s, want it to contain %q", line, want)
		}
	}
}

func TestSendersRefuseMessagesThatCanNeverBeSent(t *testing.T) {
	t.Parallel()
	senders := map[string]Sender{
		"log":  NewSender(config.Mail{}, slog.New(slog.DiscardHandler)),
		"smtp": NewSender(config.Mail{SMTPAddr: "127.0.0.1:1", From: "a@b.c"}, slog.New(slog.DiscardHandler)),
	}
	bad := map[string]Message{
		"no recipient":         {Subject: "s", Text: "t"},
		"header injection":     {To: "a@b.c\r\nBcc: x@y.z", Subject: "s", Text: "t"},
		"subject line break":   {To: "a@b.c", Subject: "s\r\nBcc: x@y.z", Text: "t"},
		"not an e-mail at all": {To: "budi", Subject: "s", Text: "t"},
	}
	for sname, s := range senders {
		for mname, m := range bad {
			if err := s.Send(context.Background(), m); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("%s Send(%s) = %v, want ErrInvalidMessage", sname, mname, err)
			}
		}
	}
}
