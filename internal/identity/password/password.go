// Package password hashes and checks the passwords people sign in with.
//
// Hashes are argon2id in the PHC string format
// ($argon2id$v=19$m=65536,t=3,p=2$<salt>$<key>), so each stored hash carries
// the parameters it was made with and the parameters can be raised later
// without breaking existing accounts: Verify reads them from the hash, and
// NeedsRehash says when a hash should be replaced after a successful sign-in.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32 // bytes
	KeyLength   uint32 // bytes
}

// DefaultParams are the parameters new hashes are made with unless the
// configuration says otherwise (auth.password_*): 46 MiB, one pass, one lane,
// the first of OWASP's equivalent argon2id configurations. It costs about
// 60 ms of one core, so two cores sign in some 30 people a second — what a
// national exam needs (20,000 learners signing in within 15 minutes is about
// 25 a second) — while an attacker still pays 46 MiB per guess.
// docs/performance.md has the measurements behind the choice.
var DefaultParams = Params{
	Memory:      46 * 1024,
	Iterations:  1,
	Parallelism: 1,
	SaltLength:  16,
	KeyLength:   32,
}

// Limits on parameters. The minimums stop a misconfiguration from producing
// weak hashes; the memory maximum stops a corrupted stored hash from making
// Verify allocate without bound.
const (
	minSaltLength = 8
	minKeyLength  = 16
	maxMemory     = 4 * 1024 * 1024 // 4 GiB in KiB
)

// algorithm is the PHC identifier of argon2id.
const algorithm = "argon2id"

// b64 is the PHC encoding: standard base64 without padding.
var b64 = base64.RawStdEncoding

// Hash returns the PHC-encoded argon2id hash of plain made with DefaultParams.
func Hash(plain string) (string, error) {
	return HashWith(plain, DefaultParams)
}

// HashWith returns the PHC-encoded argon2id hash of plain made with p. Use it
// in tests and benchmarks that need cheaper parameters than DefaultParams.
func HashWith(plain string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := derive(plain, salt, p)
	if err != nil {
		return "", err
	}
	return encode(p, salt, key), nil
}

// Verify reports whether plain matches the encoded hash. The comparison takes
// the same time whatever the bytes, so it leaks nothing about the hash. It
// returns an error only when encoded is not a hash this package can read, or
// ErrBusy.
func Verify(plain, encoded string) (bool, error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := derive(plain, salt, p)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// DefaultParams, or cannot be read at all, and so should be replaced by a new
// hash the next time the plain password is known.
func NeedsRehash(encoded string) bool {
	return NeedsRehashFor(encoded, DefaultParams)
}

// NeedsRehashFor is NeedsRehash against the parameters an installation
// configured.
func NeedsRehashFor(encoded string, want Params) bool {
	p, _, _, err := decode(encoded)
	return err != nil || p != want
}

// derive runs argon2id within the process's bound on concurrent hashes (see
// SetLimits), or returns ErrBusy.
func derive(plain string, salt []byte, p Params) ([]byte, error) {
	release, err := acquire()
	if err != nil {
		return nil, err
	}
	defer release()
	return argon2.IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength), nil
}

// validate rejects parameters argon2 would panic on, silently adjust, or that
// are too weak to be worth storing.
func (p Params) validate() error {
	switch {
	case p.Iterations < 1:
		return errors.New("password: iterations must be at least 1")
	case p.Parallelism < 1:
		return errors.New("password: parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism):
		// argon2 would quietly raise it, so the hash would not match its string.
		return errors.New("password: memory must be at least 8 KiB per lane")
	case p.Memory > maxMemory:
		return errors.New("password: memory must be at most 4 GiB")
	case p.SaltLength < minSaltLength:
		return fmt.Errorf("password: salt must be at least %d bytes", minSaltLength)
	case p.KeyLength < minKeyLength:
		return fmt.Errorf("password: key must be at least %d bytes", minKeyLength)
	}
	return nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		algorithm, argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errMalformed is wrapped by every decode failure. A stored hash that does
// not parse is corrupt data, an internal error, not the user's mistake.
var errMalformed = errors.New("password: malformed hash")

// decode parses a PHC argon2id string into its parameters, salt and key.
func decode(encoded string) (Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return Params{}, nil, nil, fmt.Errorf("%w: want 5 fields separated by $", errMalformed)
	}
	if parts[1] != algorithm {
		return Params{}, nil, nil, fmt.Errorf("%w: algorithm %q, want %s", errMalformed, parts[1], algorithm)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, fmt.Errorf("%w: version %q, want v=%d", errMalformed, parts[2], argon2.Version)
	}
	p, err := decodeParams(parts[3])
	if err != nil {
		return Params{}, nil, nil, err
	}
	salt, key, err := decodeSaltAndKey(parts[4], parts[5])
	if err != nil {
		return Params{}, nil, nil, err
	}
	p.SaltLength, p.KeyLength = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return p, salt, key, nil
}

// decodeParams parses "m=65536,t=3,p=2", in that order, as PHC specifies.
func decodeParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, fmt.Errorf("%w: parameters %q, want m=,t=,p=", errMalformed, s)
	}
	m, errM := decodeParam(fields[0], "m", 32)
	t, errT := decodeParam(fields[1], "t", 32)
	p, errP := decodeParam(fields[2], "p", 8)
	if err := errors.Join(errM, errT, errP); err != nil {
		return Params{}, err
	}
	return Params{Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(p)}, nil
}

func decodeParam(field, name string, bits int) (uint64, error) {
	value, ok := strings.CutPrefix(field, name+"=")
	if !ok {
		return 0, fmt.Errorf("%w: parameter %q, want %s=", errMalformed, field, name)
	}
	// ParseUint refuses signs, so "+3" and "-3" are malformed too.
	n, err := strconv.ParseUint(value, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("%w: parameter %s: %w", errMalformed, name, err)
	}
	return n, nil
}

func decodeSaltAndKey(salt, key string) ([]byte, []byte, error) {
	s, err := b64.Strict().DecodeString(salt)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: salt: %w", errMalformed, err)
	}
	k, err := b64.Strict().DecodeString(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: key: %w", errMalformed, err)
	}
	return s, k, nil
}

// Length limits for Check, in characters. The maximum is generous for
// passphrases while bounding input that nobody types by hand.
const (
	MinLength           = 10
	MaxLength           = 128
	PassphraseLength    = 16 // from this length one character class is enough
	minClasses          = 3
	minPersonalInputLen = 4
)

// Field is the request field that Check reports errors against.
const Field = "password"

// The reasons Check refuses a password. They are texts rather than errors so
// every call returns a fresh error that a caller may change safely.
var (
	msgTooShort = apperr.Text{
		ID: "kata sandi minimal 10 karakter",
		EN: "the password must be at least 10 characters long",
	}
	msgTooLong = apperr.Text{
		ID: "kata sandi maksimal 128 karakter",
		EN: "the password must be at most 128 characters long",
	}
	msgCommon = apperr.Text{
		ID: "kata sandi ini terlalu umum dan mudah ditebak",
		EN: "this password is too common and easy to guess",
	}
	msgPersonal = apperr.Text{
		ID: "kata sandi tidak boleh memuat nama, email, atau NIP Anda",
		EN: "the password must not contain your name, email or NIP",
	}
	msgTooSimple = apperr.Text{
		ID: "kata sandi harus memuat minimal tiga dari: huruf kecil, huruf besar, angka, simbol; atau minimal 16 karakter",
		EN: "the password must contain at least three of lower-case letters, upper-case letters, digits and symbols, or be at least 16 characters long",
	}
)

// Check applies the password policy to plain and returns an Invalid error for
// the "password" field naming the first rule it breaks, or nil. userInputs are
// things an attacker may know about the person (name, email local part, NIP);
// plain must not contain any of them, or any word of them, of 4 characters or
// more, ignoring case.
func Check(plain string, userInputs ...string) error {
	n := utf8.RuneCountInString(plain)
	switch {
	case n < MinLength:
		return invalid(msgTooShort)
	case n > MaxLength:
		return invalid(msgTooLong)
	case isCommon(plain):
		return invalid(msgCommon)
	case containsPersonal(plain, userInputs):
		return invalid(msgPersonal)
	case n < PassphraseLength && classes(plain) < minClasses:
		return invalid(msgTooSimple)
	}
	return nil
}

func invalid(msg apperr.Text) error { return apperr.Invalid(Field, msg.ID, msg.EN) }

// classes counts the character classes in s: lower-case letters, upper-case
// letters, digits, and everything else as symbols.
func classes(s string) int {
	var lower, upper, digit, symbol bool
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			symbol = true
		}
	}
	return count(lower, upper, digit, symbol)
}

func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// containsPersonal reports whether plain contains any of inputs, or any word
// of them, ignoring case. Words matter because people build passwords from
// their first name or from one part of "budi.santoso", not the whole string.
// Pieces shorter than 4 characters are ignored: refusing every password that
// contains "ani" or "003" would refuse far too much.
func containsPersonal(plain string, inputs []string) bool {
	lower := strings.ToLower(plain)
	for _, input := range inputs {
		for _, piece := range personalPieces(input) {
			if strings.Contains(lower, piece) {
				return true
			}
		}
	}
	return false
}

// personalPieces returns input and each of its words, lower-cased, keeping
// only those of at least 4 characters.
func personalPieces(input string) []string {
	input = strings.ToLower(strings.TrimSpace(input))
	words := strings.FieldsFunc(input, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	pieces := make([]string, 0, len(words)+1)
	for _, p := range append(words, input) {
		if utf8.RuneCountInString(p) >= minPersonalInputLen {
			pieces = append(pieces, p)
		}
	}
	return pieces
}
