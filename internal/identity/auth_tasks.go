package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/corpu/corpu/internal/platform/mail"
	"github.com/corpu/corpu/internal/platform/queue"
)

// TypeSendMail is the task that sends one e-mail, such as a verification or
// password reset link.
const TypeSendMail = "identity:send-mail"

// SendMailPayload is the payload of TypeSendMail.
type SendMailPayload struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// HandleSendMail returns the handler of TypeSendMail, sending through sender.
//
// Delivery is at least once: when the SMTP server accepted the mail but the
// worker died before Asynq marked the task done, the retry sends it again.
// A second copy of a link mail is harmless (the token in it works once), so
// no record of sent mail is kept to prevent it.
func (a *Auth) HandleSendMail(sender mail.Sender) queue.Handler {
	return func(ctx context.Context, t *asynq.Task) error {
		var p SendMailPayload
		if err := queue.Decode(t, &p); err != nil {
			return err
		}
		if p.To == "" {
			return fmt.Errorf("%s: payload without a recipient: %w", TypeSendMail, asynq.SkipRetry)
		}
		err := sender.Send(ctx, mail.Message{To: p.To, Subject: p.Subject, Text: p.Text})
		if errors.Is(err, mail.ErrInvalidMessage) {
			return fmt.Errorf("%s: %w: %w", TypeSendMail, err, asynq.SkipRetry)
		}
		return err
	}
}
