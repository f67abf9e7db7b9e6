package identity

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/identity/password"
	"github.com/corpu/corpu/internal/identity/token"
	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/database"
	"github.com/corpu/corpu/internal/platform/queue"
)

// RequestVerification mails the caller a link that verifies their e-mail
// address, in lang ("id" or "en").
func (a *Auth) RequestVerification(ctx context.Context, lang string) error {
	user, err := a.sessionUser(ctx)
	if err != nil {
		return err
	}
	if user.EmailVerifiedAt != nil {
		return ErrEmailAlreadyVerified
	}
	return a.mailLink(ctx, user, purposeVerifyEmail, lang)
}

// VerifyEmail uses a verification link's token and marks the address
// verified. A token works once, until it expires.
func (a *Auth) VerifyEmail(ctx context.Context, plain string) error {
	return a.useLink(ctx, plain, token.PrefixEmailVerification, purposeVerifyEmail, func(ctx context.Context, t oneTimeRow, now time.Time) error {
		a.actors.userChanged(ctx, t.UserID)
		return a.store.markEmailVerified(ctx, t.UserID, now)
	})
}

// useLink consumes the token of a mailed link (of the given prefix and
// purpose; it works once, until it expires) and runs use in the same
// transaction: when use fails, the link stays usable.
func (a *Auth) useLink(ctx context.Context, plain, prefix, purpose string, use func(ctx context.Context, t oneTimeRow, now time.Time) error) error {
	if p, _, ok := token.SplitPrefix(plain); !ok || p != prefix {
		return ErrInvalidLinkToken
	}
	now := a.now()
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		t, found, err := a.store.consumeOneTime(ctx, token.HashSecret(plain), purpose, now)
		if err != nil {
			return err
		}
		if !found {
			return ErrInvalidLinkToken
		}
		return use(ctx, t, now)
	})
}

// RequestReset mails a password reset link to the account with this login
// (e-mail or NIP), in lang. It answers the same whether or not the account
// exists, so it cannot be used to find accounts; inactive accounts get no
// mail, and an account gets at most one a minute.
func (a *Auth) RequestReset(ctx context.Context, login, lang string) error {
	login = strings.TrimSpace(login)
	if login == "" {
		return nil
	}
	user, err := a.svc.store.userByLogin(ctx, login)
	if errors.Is(err, ErrUserNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if UserStatus(user.Status) != StatusActive {
		return nil
	}
	// At most one reset mail per account per resetMailGap, so the form
	// cannot be used to flood someone's mailbox; the answer stays the same.
	// The throttle and the mail (an outbox row) live in PostgreSQL with the
	// token, so the answer does not depend on Redis: while it is down, every
	// request is answered alike and the mail goes out once it is back.
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		recent, err := a.store.mailedSince(ctx, user.ID, purposeResetPassword, a.now().Add(-resetMailGap))
		if err != nil || recent {
			return err
		}
		return a.mailLink(ctx, user, purposeResetPassword, lang)
	})
}

// ResetPassword uses a reset link's token to set a new password. It unlocks
// the account and ends every session; the link proved the e-mail address,
// so it counts as verified. A password that breaks the policy changes
// nothing and leaves the link usable.
func (a *Auth) ResetPassword(ctx context.Context, plain, newPassword string) error {
	return a.useLink(ctx, plain, token.PrefixPasswordReset, purposeResetPassword, func(ctx context.Context, t oneTimeRow, now time.Time) error {
		user, err := a.svc.store.user(ctx, t.UserID)
		if err != nil {
			return err
		}
		if UserStatus(user.Status) != StatusActive {
			return ErrInvalidLinkToken
		}
		if err := password.Check(newPassword, user.Name, user.Email, database.EmptyIfNull(user.NIP)); err != nil {
			return err
		}
		hash, err := password.HashWith(newPassword, a.params)
		if err != nil {
			return fmt.Errorf("hash password: %w", err)
		}
		fields := map[string]any{"password_hash": hash, "failed_logins": 0, "locked_until": nil, "updated_at": now}
		if user.EmailVerifiedAt == nil {
			fields["email_verified_at"] = now
		}
		if err := a.store.updateUserAuth(ctx, user.ID, fields); err != nil {
			return err
		}
		if err := a.store.revokeFamiliesOf(ctx, user.ID, uuid.Nil, now); err != nil {
			return err
		}
		a.actors.userChanged(ctx, user.ID)
		return a.record(ctx, user, "user.password_reset", "user", user.ID.String(), nil, nil)
	})
}

// ChangePassword sets a new password for the caller, who must give the
// current one. Every other session of theirs ends; this one stays.
func (a *Auth) ChangePassword(ctx context.Context, current, newPassword string) error {
	user, err := a.sessionUser(ctx)
	if err != nil {
		return err
	}
	ok := false
	if user.PasswordHash != nil && len(current) <= maxPasswordBytes {
		if ok, err = password.Verify(current, *user.PasswordHash); err != nil {
			return fmt.Errorf("verify password of user %s: %w", user.ID, err)
		}
	}
	var v apperr.Validation
	v.Check(ok, "current_password", "kata sandi saat ini salah", "the current password is wrong")
	if err := password.Check(newPassword, user.Name, user.Email, database.EmptyIfNull(user.NIP)); err != nil {
		for _, f := range apperr.As(err).Fields {
			v.Add("new_password", f.Message.ID, f.Message.EN)
		}
	}
	v.Check(current != newPassword, "new_password", "kata sandi baru harus berbeda dari yang lama",
		"the new password must differ from the current one")
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := password.HashWith(newPassword, a.params)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	now := a.now()
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		if err := a.store.updateUserAuth(ctx, user.ID, map[string]any{"password_hash": hash, "updated_at": now}); err != nil {
			return err
		}
		if err := a.store.revokeFamiliesOf(ctx, user.ID, sessionFrom(ctx), now); err != nil {
			return err
		}
		a.actors.userChanged(ctx, user.ID)
		return a.record(ctx, user, "user.password_change", "user", user.ID.String(), nil, nil)
	})
}

// mailLink creates a one-time token for purpose and, in the same
// transaction, the outbox job that mails its link. The job carries the link
// itself, so the plain token rests in the outbox row and the queue until the
// mail is sent; it expires soon and works once.
func (a *Auth) mailLink(ctx context.Context, user userRow, purpose, lang string) error {
	prefix, ttl, path := token.PrefixEmailVerification, a.cfg.VerifyTTL, "/verify-email"
	if purpose == purposeResetPassword {
		prefix, ttl, path = token.PrefixPasswordReset, a.cfg.ResetTTL, "/reset-password"
	}
	plain, hash := token.NewSecret(prefix)
	now := a.now()
	link := a.cfg.PublicURL + path + "?token=" + url.QueryEscape(plain)
	subject, text := linkMail(purpose, lang, user.Name, link, ttl)
	return a.db.WithTx(ctx, func(ctx context.Context) error {
		err := a.store.createOneTime(ctx, oneTimeRow{ID: uuid.Must(uuid.NewV7()), UserID: user.ID, Purpose: purpose,
			TokenHash: hash, ExpiresAt: now.Add(ttl), CreatedAt: now})
		if err != nil {
			return err
		}
		_, err = a.outbox.Add(ctx, queue.Job{Type: TypeSendMail, Queue: queue.Critical, MaxRetry: 10,
			Payload: SendMailPayload{To: user.Email, Subject: subject, Text: text}})
		return err
	})
}

// linkMail renders the mail carrying a verification or reset link.
func linkMail(purpose, lang, name, link string, ttl time.Duration) (subject, text string) {
	valid := describeDuration(ttl, lang)
	switch {
	case purpose == purposeVerifyEmail && lang == "en":
		return "Verify your Corpu e-mail address", fmt.Sprintf("Hello %s,\n\n"+
			"Open this link to verify your e-mail address:\n\n%s\n\n"+
			"The link works once and expires in %s. If you did not ask for it, ignore this mail.\n\n— Corpu\n", name, link, valid)
	case purpose == purposeVerifyEmail:
		return "Verifikasi alamat e-mail Corpu Anda", fmt.Sprintf("Halo %s,\n\n"+
			"Buka tautan berikut untuk memverifikasi alamat e-mail Anda:\n\n%s\n\n"+
			"Tautan hanya dapat dipakai sekali dan berlaku %s. Jika Anda tidak memintanya, abaikan e-mail ini.\n\n— Corpu\n", name, link, valid)
	case lang == "en":
		return "Reset your Corpu password", fmt.Sprintf("Hello %s,\n\n"+
			"Someone asked to reset the password of your Corpu account. Open this link to choose a new one:\n\n%s\n\n"+
			"The link works once and expires in %s. If it was not you, ignore this mail: your password stays as it is.\n\n— Corpu\n", name, link, valid)
	default:
		return "Atur ulang kata sandi Corpu Anda", fmt.Sprintf("Halo %s,\n\n"+
			"Ada permintaan untuk mengatur ulang kata sandi akun Corpu Anda. Buka tautan berikut untuk membuat kata sandi baru:\n\n%s\n\n"+
			"Tautan hanya dapat dipakai sekali dan berlaku %s. Jika bukan Anda yang meminta, abaikan e-mail ini: kata sandi Anda tidak berubah.\n\n— Corpu\n", name, link, valid)
	}
}

// describeDuration says how long a link is valid, e.g. "48 jam" or "1 hour".
func describeDuration(d time.Duration, lang string) string {
	n, unitID, unitEN := int(d/time.Minute), "menit", "minute"
	if d >= time.Hour && d%time.Hour == 0 {
		n, unitID, unitEN = int(d/time.Hour), "jam", "hour"
	}
	if lang != "en" {
		return fmt.Sprintf("%d %s", n, unitID)
	}
	if n != 1 {
		unitEN += "s"
	}
	return fmt.Sprintf("%d %s", n, unitEN)
}
