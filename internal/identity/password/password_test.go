package password

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// cheap are parameters that make hashing fast enough for tests. They are far
// too weak for real passwords.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashUsesTheDefaultArgon2idFormat(t *testing.T) {
	t.Parallel()
	encoded, err := Hash("Rendang&Kopi42")
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	const prefix = "$argon2id$v=19$m=47104,t=1,p=1$"
	if !strings.HasPrefix(encoded, prefix) {
		t.Fatalf("Hash() = %q, want prefix %q", encoded, prefix)
	}
	p, salt, key, err := decode(encoded)
	if err != nil {
		t.Fatalf("decode(Hash()) error = %v", err)
	}
	if p != DefaultParams || len(salt) != 16 || len(key) != 32 {
		t.Errorf("decode(Hash()) = %+v with %d-byte salt and %d-byte key, want %+v, 16 and 32", p, len(salt), len(key), DefaultParams)
	}
	if ok, err := Verify("Rendang&Kopi42", encoded); !ok || err != nil {
		t.Errorf("Verify(right password, Hash()) = %v, %v, want true, nil", ok, err)
	}
	if NeedsRehash(encoded) {
		t.Errorf("NeedsRehash(Hash()) = true, want false")
	}
}

func TestVerifyAcceptsOnlyTheHashedPassword(t *testing.T) {
	t.Parallel()
	encoded, err := HashWith("Rendang&Kopi42", cheap)
	if err != nil {
		t.Fatalf("HashWith() error = %v", err)
	}
	tests := []struct {
		name  string
		plain string
		want  bool
	}{
		{"the same password", "Rendang&Kopi42", true},
		{"a different case", "rendang&kopi42", false},
		{"a trailing space", "Rendang&Kopi42 ", false},
		{"a prefix", "Rendang&Kopi4", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Verify(tt.plain, encoded)
			if err != nil || got != tt.want {
				t.Errorf("Verify(%q, %q) = %v, %v, want %v, nil", tt.plain, encoded, got, err, tt.want)
			}
		})
	}
}

func TestHashWithUsesAFreshSaltEveryTime(t *testing.T) {
	t.Parallel()
	a, errA := HashWith("Rendang&Kopi42", cheap)
	b, errB := HashWith("Rendang&Kopi42", cheap)
	if errA != nil || errB != nil {
		t.Fatalf("HashWith() errors = %v, %v", errA, errB)
	}
	if a == b {
		t.Errorf("HashWith() twice = %q both times, want different salts", a)
	}
}

func TestVerifyReadsParametersFromTheHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Params
	}{
		{"cheap", cheap},
		{"more lanes", Params{Memory: 256, Iterations: 2, Parallelism: 4, SaltLength: 16, KeyLength: 32}},
		{"longer salt and key", Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLength: 32, KeyLength: 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encoded, err := HashWith("Rendang&Kopi42", tt.p)
			if err != nil {
				t.Fatalf("HashWith(%+v) error = %v", tt.p, err)
			}
			if ok, err := Verify("Rendang&Kopi42", encoded); !ok || err != nil {
				t.Errorf("Verify(right password, %q) = %v, %v, want true, nil", encoded, ok, err)
			}
			if !NeedsRehash(encoded) {
				t.Errorf("NeedsRehash(%q) = false, want true for non-default parameters", encoded)
			}
		})
	}
}

func TestHashingMatchesTheReferenceArgon2idImplementation(t *testing.T) {
	t.Parallel()
	// want was made by the reference C library (libargon2's
	// argon2id_hash_encoded). Matching it pins the encoding: hashes already
	// stored, or made by other tools, must keep verifying.
	const want = "$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$zT/0NDr7pW472H9SrBccwdUAsKhNsx8yjra2fL93n5A"
	salt := []byte("0123456789abcdef")
	key, err := derive("Rendang&Kopi42", salt, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if got := encode(cheap, salt, key); got != want {
		t.Errorf("encode(derive()) = %q, want %q", got, want)
	}
	if ok, err := Verify("Rendang&Kopi42", want); !ok || err != nil {
		t.Errorf("Verify(right password, %q) = %v, %v, want true, nil", want, ok, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	t.Parallel()
	const salt, key = "MDEyMzQ1Njc4OWFiY2RlZg", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
	tests := []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"a bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key},
		{"an extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$x"},
		{"parameters out of order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"a missing parameter", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key},
		{"a non-numeric parameter", "$argon2id$v=19$m=abc,t=1,p=1$" + salt + "$" + key},
		{"a signed parameter", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"zero iterations", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"zero parallelism", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"parallelism over 255", "$argon2id$v=19$m=64,t=1,p=256$" + salt + "$" + key},
		{"too little memory per lane", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"too much memory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key},
		{"a padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"a salt that is not base64", "$argon2id$v=19$m=64,t=1,p=1$!!!!$" + key},
		{"a short salt", "$argon2id$v=19$m=64,t=1,p=1$MDEy$" + key},
		{"an empty key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := Verify("Rendang&Kopi42", tt.encoded)
			if ok || !errors.Is(err, errMalformed) {
				t.Errorf("Verify(_, %q) = %v, %v, want false and a malformed-hash error", tt.encoded, ok, err)
			}
			if !NeedsRehash(tt.encoded) {
				t.Errorf("NeedsRehash(%q) = false, want true for an unreadable hash", tt.encoded)
			}
		})
	}
}

func TestNeedsRehashComparesEveryParameterWithTheDefault(t *testing.T) {
	t.Parallel()
	with := func(change func(*Params)) Params {
		p := DefaultParams
		change(&p)
		return p
	}
	tests := []struct {
		name string
		p    Params
		want bool
	}{
		{"the default", DefaultParams, false},
		{"less memory", with(func(p *Params) { p.Memory /= 2 }), true},
		{"fewer iterations", with(func(p *Params) { p.Iterations-- }), true},
		{"more lanes", with(func(p *Params) { p.Parallelism++ }), true},
		{"a shorter salt", with(func(p *Params) { p.SaltLength = 8 }), true},
		{"a longer key", with(func(p *Params) { p.KeyLength = 64 }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// NeedsRehash only reads the string, so fake bytes of the right
			// lengths avoid running argon2 with the default cost.
			encoded := encode(tt.p, make([]byte, tt.p.SaltLength), make([]byte, tt.p.KeyLength))
			if got := NeedsRehash(encoded); got != tt.want {
				t.Errorf("NeedsRehash(%q) = %v, want %v", encoded, got, tt.want)
			}
		})
	}
}

func TestHashWithRejectsUnusableParameters(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Params
	}{
		{"zero params", Params{}},
		{"zero iterations", Params{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{"zero parallelism", Params{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32}},
		{"less than 8 KiB per lane", Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}},
		{"more than 4 GiB", Params{Memory: maxMemory + 1, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}},
		{"a 4-byte salt", Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}},
		{"an 8-byte key", Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := HashWith("Rendang&Kopi42", tt.p); err == nil {
				t.Errorf("HashWith(_, %+v) = %q, nil, want an error", tt.p, got)
			}
		})
	}
}

func TestCheckAppliesThePasswordPolicy(t *testing.T) {
	t.Parallel()
	const nip = "198503122010011003"
	tests := []struct {
		name   string
		plain  string
		inputs []string
		want   apperr.Text // zero when the password is acceptable
	}{
		{"three classes and 10 characters", "Ab1defghij", nil, apperr.Text{}},
		{"four classes", "Rendang&Kopi42", nil, apperr.Text{}},
		{"lower, digit and symbol", "rendang&kopi42", nil, apperr.Text{}},
		{"a 16-character passphrase in one class", "kudamakanrumputh", nil, apperr.Text{}},
		{"a passphrase with spaces", "kuda makan rumput hijau", nil, apperr.Text{}},
		{"exactly 128 characters", strings.Repeat("kudamakanrumput ", 8), nil, apperr.Text{}},
		{"non-ASCII letters count as their case", "Ésta-ñoña7x", nil, apperr.Text{}},

		{"9 characters", "Ab1!efghi", nil, msgTooShort},
		{"9 characters taking more than 10 bytes", "Kopi€ñ1ab", nil, msgTooShort},
		{"empty", "", nil, msgTooShort},
		{"129 characters", strings.Repeat("a", 129), nil, msgTooLong},

		{"15 lower-case letters", "kudamakanrumput", nil, msgTooSimple},
		{"lower-case letters and digits", "kopitubruk42", nil, msgTooSimple},
		{"upper-case letters and symbols", "KOPI-TUBRUK!", nil, msgTooSimple},
		{"digits only", "0812345678901", nil, msgTooSimple},

		{"a leet-speak classic", "P@ssw0rd123", nil, msgCommon},
		{"a capitalised Indonesian favourite", "Bismillah123", nil, msgCommon},
		{"a city with a suffix", "JAKARTA123!", nil, msgCommon},
		{"a word with a year", "Indonesia2024", nil, msgCommon},
		{"a keyboard walk", "1qaz2wsx3edc", nil, msgCommon},

		{"the person's surname", "Santoso#2024x", []string{"Budi Santoso"}, msgPersonal},
		{"the person's first name in capitals", "xBUDI-2024!k", []string{"Budi Santoso"}, msgPersonal},
		{"the email local part", "budi.santoso!9X", []string{"budi.santoso"}, msgPersonal},
		{"the NIP", "Nip" + nip + "!", []string{nip}, msgPersonal},
		{"the birth date group of a spaced NIP", "Lahir19850312!", []string{"19850312 201001 1 003"}, msgPersonal},
		{"a short name is ignored", "Ani-Rahayu-77", []string{"Ani"}, apperr.Text{}},
		{"the short serial of a NIP is ignored", "Kopi-003-Pagi", []string{"19850312 201001 1 003"}, apperr.Text{}},
		{"empty inputs are ignored", "Rendang&Kopi42", []string{"", "   "}, apperr.Text{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.plain, tt.inputs...)
			if got := passwordMessage(t, err); got != tt.want {
				t.Errorf("Check(%q, %q) = %q, want %q", tt.plain, tt.inputs, got.EN, tt.want.EN)
			}
		})
	}
}

func TestCommonListIsLowerCasedUniqueAndLargeEnough(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(commonList, "\n"), "\n")
	seen := make(map[string]bool, len(lines))
	for i, line := range lines {
		switch {
		case line == "" || strings.TrimSpace(line) != line:
			t.Errorf("common-passwords.txt line %d = %q, want a password without surrounding space", i+1, line)
		case strings.IndexFunc(line, unicode.IsUpper) >= 0:
			t.Errorf("common-passwords.txt line %d = %q, want it lower-cased", i+1, line)
		case seen[line]:
			t.Errorf("common-passwords.txt line %d = %q, want no duplicates", i+1, line)
		}
		seen[line] = true
	}
	if got := len(commonSet()); got < 1000 {
		t.Errorf("len(commonSet()) = %d, want at least 1000", got)
	}
}

// passwordMessage returns the message of the single "password" field error in
// err, or the zero Text when err is nil.
func passwordMessage(t *testing.T, err error) apperr.Text {
	t.Helper()
	if err == nil {
		return apperr.Text{}
	}
	e := apperr.As(err)
	if e.Kind != apperr.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != Field {
		t.Fatalf("error = %#v, want one invalid %q field", e, Field)
	}
	if e.Fields[0].Message.ID == "" || e.Fields[0].Message.EN == "" {
		t.Fatalf("error message = %+v, want both Indonesian and English", e.Fields[0].Message)
	}
	return e.Fields[0].Message
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("Rendang&Kopi42"); err != nil {
			b.Fatal(err)
		}
	}
}
