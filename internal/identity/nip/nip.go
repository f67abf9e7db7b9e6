// Package nip parses and validates the NIP (Nomor Induk Pegawai), the
// 18-digit number that identifies an Indonesian civil servant.
//
// A NIP is not random: it encodes the holder's birth date (digits 1-8,
// YYYYMMDD), the month of appointment as a candidate civil servant, TMT CPNS
// (digits 9-14, YYYYMM), gender (digit 15, 1 male and 2 female) and a serial
// number (digits 16-18, 001-999). Checking those parts catches most typing
// mistakes before they reach a person's record.
package nip

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// Length is the number of digits in a NIP.
const Length = 18

// Field is the request field that NIP errors are reported against.
const Field = "nip"

// Group boundaries: where the people who write a NIP as
// "19850312 201001 1 003" put their spaces.
const (
	birthEnd     = 8
	appointedEnd = 14
	genderEnd    = 15
)

// minBirthYear is the earliest birth year we accept. Nobody born before it
// can still be an active civil servant, so an older year is a typo.
const minBirthYear = 1940

// adultAge is the minimum age at which a person can be appointed a CPNS.
const adultAge = 18

// Gender is the gender recorded in a NIP.
type Gender string

// The genders a NIP can record.
const (
	Male   Gender = "male"
	Female Gender = "female"
)

// NIP is a parsed, validated civil-servant number.
type NIP struct {
	BirthDate time.Time // midnight UTC of the birth date
	Appointed time.Time // midnight UTC of the first day of the TMT CPNS month
	Gender    Gender
	Serial    int // 1-999
}

// The problems Parse reports, each naming the part of the NIP that is wrong.
// They are texts rather than errors so every call returns a fresh error that
// a caller may change without affecting the next one.
var (
	msgEmpty          = apperr.Text{ID: "NIP wajib diisi", EN: "the NIP is required"}
	msgNotDigits      = apperr.Text{ID: "NIP hanya boleh berisi angka", EN: "the NIP may contain only digits"}
	msgSpacing        = apperr.Text{ID: "spasi dalam NIP hanya boleh satu, di antara kelompok angka", EN: "the NIP may contain only single spaces, between its groups of digits"}
	msgLength         = apperr.Text{ID: "NIP harus terdiri dari 18 angka", EN: "the NIP must have 18 digits"}
	msgBirthDate      = apperr.Text{ID: "tanggal lahir dalam NIP tidak valid", EN: "the birth date in the NIP is not a valid date"}
	msgBirthTooEarly  = apperr.Text{ID: "tahun lahir dalam NIP sebelum 1940", EN: "the birth year in the NIP is before 1940"}
	msgBirthFuture    = apperr.Text{ID: "tanggal lahir dalam NIP berada di masa depan", EN: "the birth date in the NIP is in the future"}
	msgAppointedMonth = apperr.Text{ID: "bulan TMT CPNS dalam NIP tidak valid", EN: "the appointment (TMT CPNS) month in the NIP is not valid"}
	msgAppointedYoung = apperr.Text{ID: "TMT CPNS dalam NIP sebelum pemilik berusia 18 tahun", EN: "the appointment (TMT CPNS) in the NIP is before the holder turned 18"}
	msgAppointedLater = apperr.Text{ID: "TMT CPNS dalam NIP berada di masa depan", EN: "the appointment (TMT CPNS) in the NIP is in the future"}
	msgGender         = apperr.Text{ID: "kode jenis kelamin dalam NIP harus 1 atau 2", EN: "the gender digit in the NIP must be 1 or 2"}
	msgSerial         = apperr.Text{ID: "nomor urut dalam NIP tidak boleh 000", EN: "the serial number in the NIP must not be 000"}
)

func invalid(msg apperr.Text) error { return apperr.Invalid(Field, msg.ID, msg.EN) }

// Parse validates s as a NIP and returns its parts. It accepts the number
// written with single spaces between its groups ("19850312 201001 1 003").
// now decides what counts as the future; pass time.Now() outside tests.
func Parse(s string, now time.Time) (NIP, error) {
	digits, err := compact(s)
	if err != nil {
		return NIP{}, err
	}
	birth, err := parseBirthDate(digits[:birthEnd], now)
	if err != nil {
		return NIP{}, err
	}
	appointed, err := parseAppointed(digits[birthEnd:appointedEnd], birth, now)
	if err != nil {
		return NIP{}, err
	}
	gender, err := parseGender(digits[appointedEnd])
	if err != nil {
		return NIP{}, err
	}
	serial, err := parseSerial(digits[genderEnd:])
	if err != nil {
		return NIP{}, err
	}
	return NIP{BirthDate: birth, Appointed: appointed, Gender: gender, Serial: serial}, nil
}

// Normalize returns only the digits of s, the form in which a NIP is stored
// and searched. It does not validate; use Parse for that.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(Length)
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// String returns the NIP as its 18 digits.
func (n NIP) String() string {
	digit := '1'
	if n.Gender == Female {
		digit = '2'
	}
	return fmt.Sprintf("%s%s%c%03d", n.BirthDate.Format("20060102"), n.Appointed.Format("200601"), digit, n.Serial)
}

// compact trims s, removes the spaces between groups and checks that what is
// left is exactly 18 digits.
func compact(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(msgEmpty)
	}
	if strings.IndexFunc(s, func(r rune) bool { return r != ' ' && (r < '0' || r > '9') }) >= 0 {
		return "", invalid(msgNotDigits)
	}
	digits, ok := removeGroupSpaces(s)
	if !ok {
		return "", invalid(msgSpacing)
	}
	if len(digits) != Length {
		return "", invalid(msgLength)
	}
	return digits, nil
}

// removeGroupSpaces drops single spaces that sit after the birth date, the
// appointment month or the gender digit. A space anywhere else, or two in a
// row, usually means a digit is missing or misplaced, so it is refused rather
// than silently joined. s must contain only digits and spaces.
func removeGroupSpaces(s string) (string, bool) {
	groups := strings.Split(s, " ")
	var b strings.Builder
	for i, group := range groups {
		if group == "" {
			return "", false
		}
		b.WriteString(group)
		if i < len(groups)-1 && !isGroupEnd(b.Len()) {
			return "", false
		}
	}
	return b.String(), true
}

func isGroupEnd(n int) bool {
	return n == birthEnd || n == appointedEnd || n == genderEnd
}

func parseBirthDate(s string, now time.Time) (time.Time, error) {
	// time.Parse rejects impossible days such as 30 February.
	birth, err := time.Parse("20060102", s)
	if err != nil {
		return time.Time{}, invalid(msgBirthDate)
	}
	if birth.Year() < minBirthYear {
		return time.Time{}, invalid(msgBirthTooEarly)
	}
	if birth.After(today(now)) {
		return time.Time{}, invalid(msgBirthFuture)
	}
	return birth, nil
}

// parseAppointed compares whole months because the NIP records only the month
// of appointment: someone who turns 18 on 12 March may be appointed in March.
func parseAppointed(s string, birth, now time.Time) (time.Time, error) {
	year, _ := strconv.Atoi(s[:4])
	month, _ := strconv.Atoi(s[4:])
	if month < 1 || month > 12 {
		return time.Time{}, invalid(msgAppointedMonth)
	}
	appointed := monthIndex(year, time.Month(month))
	if appointed < monthIndex(birth.Year()+adultAge, birth.Month()) {
		return time.Time{}, invalid(msgAppointedYoung)
	}
	if appointed > monthIndex(now.Year(), now.Month()) {
		return time.Time{}, invalid(msgAppointedLater)
	}
	return time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC), nil
}

func parseGender(c byte) (Gender, error) {
	switch c {
	case '1':
		return Male, nil
	case '2':
		return Female, nil
	}
	return "", invalid(msgGender)
}

func parseSerial(s string) (int, error) {
	serial, _ := strconv.Atoi(s)
	if serial == 0 {
		return 0, invalid(msgSerial)
	}
	return serial, nil
}

// today returns the calendar date of now, in now's own location, as midnight
// UTC so it compares directly with dates parsed from a NIP.
func today(now time.Time) time.Time {
	y, m, d := now.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func monthIndex(year int, month time.Month) int {
	return year*12 + int(month) - 1
}
