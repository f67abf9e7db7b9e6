package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	qrcode "github.com/skip2/go-qrcode"
)

// Rotating check-in codes work like HOTP (RFC 4226) over HMAC-SHA256: the
// counter is the number of CodeStep windows since the Unix epoch, so the code
// changes every CodeStep and a photo of it is soon worthless. A code is
// accepted in its own window and the one after, so a learner who reads it
// just before it turns is not refused.

// CodeStep is how long one check-in code is shown.
const CodeStep = 30 * time.Second

// codeDigits is the length of a check-in code.
const codeDigits = 6

// qrSize is the width and height in pixels of the QR image.
const qrSize = 256

// newSessionSecret returns the random key a session's codes derive from.
func newSessionSecret() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("session secret: %w", err)
	}
	return b, nil
}

func codeWindow(t time.Time) int64 { return t.Unix() / int64(CodeStep/time.Second) }

// codeFor returns the code of a secret in a window.
func codeFor(secret []byte, window int64) string {
	mac := hmac.New(sha256.New, secret)
	var counter [8]byte
	binary.BigEndian.PutUint64(counter[:], uint64(window))
	mac.Write(counter[:])
	sum := mac.Sum(nil)
	offset := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[offset:offset+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", codeDigits, bin%1_000_000)
}

// currentCode returns the code shown at now and when it stops being shown.
func currentCode(secret []byte, now time.Time) (string, time.Time) {
	w := codeWindow(now)
	return codeFor(secret, w), time.Unix((w+1)*int64(CodeStep/time.Second), 0).UTC()
}

// codeValid reports whether code is the code of now's window or of the one before.
func codeValid(secret []byte, code string, now time.Time) bool {
	if len(code) != codeDigits {
		return false
	}
	w := codeWindow(now)
	ok := 0
	for _, win := range []int64{w, w - 1} {
		ok |= subtle.ConstantTimeCompare([]byte(codeFor(secret, win)), []byte(code))
	}
	return ok == 1
}

// checkInPayload is what the QR code says: the session and the code, for a
// learner's app to post to POST /api/v1/sessions/{session_id}/check-in.
func checkInPayload(sessionID uuid.UUID, code string) string {
	return "corpu:check-in?session_id=" + sessionID.String() + "&code=" + code
}

// qrPNG draws text as a QR code PNG.
func qrPNG(text string) ([]byte, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, qrSize)
	if err != nil {
		return nil, fmt.Errorf("draw check-in QR code: %w", err)
	}
	return png, nil
}

// Guessing check-in codes is throttled: every attempt is counted, per
// person and session and per session overall, in a fixed window, and an
// attempt that was not a wrong code is taken back. Six digits valid for two
// steps cannot be found in MaxCheckInGuesses tries. The counters live in
// Postgres, so that they survive restarts and the throttle never fails open.
const (
	CheckInGuessWindow = 10 * time.Minute
	// MaxCheckInGuesses bounds one person's wrong codes for a session.
	MaxCheckInGuesses = 10
	// MaxSessionCheckInGuesses bounds a session's wrong codes from everyone,
	// against spraying from many accounts. Past it, a person's first try
	// in the window still passes, so one class member cannot lock the
	// others out; staff can always take the roll call.
	MaxSessionCheckInGuesses = 200
)

// countGuess counts a check-in attempt of a person at a session and
// refuses it with ErrCheckInThrottled once the window holds too many. The
// returned release takes the attempt back, for an attempt that turned out
// not to be a wrong code.
func (s *Service) countGuess(ctx context.Context, sessionID, userID uuid.UUID) (release func(context.Context) error, err error) {
	now := s.now()
	mine, started, err := s.store.countCheckInAttempt(ctx, sessionID, userID, now, CheckInGuessWindow)
	if err != nil {
		return nil, err
	}
	if mine > MaxCheckInGuesses {
		return nil, throttled(started, now)
	}
	all, startedAll, err := s.store.countCheckInAttempt(ctx, sessionID, uuid.Nil, now, CheckInGuessWindow)
	if err != nil {
		return nil, err
	}
	if all > MaxSessionCheckInGuesses && mine > 1 {
		return nil, throttled(startedAll, now)
	}
	return func(ctx context.Context) error {
		return s.store.uncountCheckInAttempt(ctx, sessionID, userID)
	}, nil
}

// throttled is ErrCheckInThrottled telling when the window that started at
// started ends.
func throttled(started, now time.Time) error {
	wait := int(math.Ceil(started.Add(CheckInGuessWindow).Sub(now).Seconds()))
	return ErrCheckInThrottled.WithRetryAfter(max(wait, 1))
}
