package nip

import (
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// now is the fixed "today" the tests validate against.
var now = time.Date(2025, time.June, 15, 10, 0, 0, 0, time.UTC)

func date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
}

func TestParseAcceptsValidNIPs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want NIP
	}{
		{
			name: "a male civil servant appointed in 2010",
			in:   "198503122010011003",
			want: NIP{BirthDate: date(1985, time.March, 12), Appointed: date(2010, time.January, 1), Gender: Male, Serial: 3},
		},
		{
			name: "a female civil servant appointed in 2015",
			in:   "199001012015032001",
			want: NIP{BirthDate: date(1990, time.January, 1), Appointed: date(2015, time.March, 1), Gender: Female, Serial: 1},
		},
		{
			name: "groups separated by single spaces",
			in:   "19850312 201001 1 003",
			want: NIP{BirthDate: date(1985, time.March, 12), Appointed: date(2010, time.January, 1), Gender: Male, Serial: 3},
		},
		{
			name: "surrounding whitespace",
			in:   "  196811251994031999\t\n",
			want: NIP{BirthDate: date(1968, time.November, 25), Appointed: date(1994, time.March, 1), Gender: Male, Serial: 999},
		},
		{
			name: "born on a leap day",
			in:   "198402292008122002",
			want: NIP{BirthDate: date(1984, time.February, 29), Appointed: date(2008, time.December, 1), Gender: Female, Serial: 2},
		},
		{
			name: "born in 1940",
			in:   "194001011965011001",
			want: NIP{BirthDate: date(1940, time.January, 1), Appointed: date(1965, time.January, 1), Gender: Male, Serial: 1},
		},
		{
			name: "appointed in the month the holder turned 18",
			in:   "200703312025032001",
			want: NIP{BirthDate: date(2007, time.March, 31), Appointed: date(2025, time.March, 1), Gender: Female, Serial: 1},
		},
		{
			name: "appointed in the current month",
			in:   "199505052025061001",
			want: NIP{BirthDate: date(1995, time.May, 5), Appointed: date(2025, time.June, 1), Gender: Male, Serial: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in, now)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v, want nil", tt.in, err)
			}
			if !got.BirthDate.Equal(tt.want.BirthDate) || !got.Appointed.Equal(tt.want.Appointed) ||
				got.Gender != tt.want.Gender || got.Serial != tt.want.Serial {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRejectsInvalidNIPsSayingWhatIsWrong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want apperr.Text
	}{
		{"an empty string", "", msgEmpty},
		{"only spaces", "   ", msgEmpty},
		{"a letter", "19850312201001100A", msgNotDigits},
		{"dashes between groups", "19850312-201001-1-003", msgNotDigits},
		{"a tab between groups", "19850312\t201001 1 003", msgNotDigits},
		{"full-width digits", "１９８５０３１２２０１００１１００３", msgNotDigits},
		{"two spaces between groups", "19850312  201001 1 003", msgSpacing},
		{"a space inside the birth date", "1985 0312 201001 1 003", msgSpacing},
		{"a space inside the serial", "19850312 201001 1 0 03", msgSpacing},
		{"seventeen digits", "19850312201001100", msgLength},
		{"nineteen digits", "1985031220100110031", msgLength},
		{"seventeen digits in groups", "19850312 201001 1 03", msgLength},
		{"30 February", "198502302010011003", msgBirthDate},
		{"29 February in a common year", "198502292010011003", msgBirthDate},
		{"birth month 13", "198513012010011003", msgBirthDate},
		{"birth day 00", "198503002010011003", msgBirthDate},
		{"birth date all zeros", "000000002010011003", msgBirthDate},
		{"born in 1939", "193912312010011003", msgBirthTooEarly},
		{"born tomorrow", "202506162025061001", msgBirthFuture},
		{"appointment month 00", "198503122010001003", msgAppointedMonth},
		{"appointment month 13", "198503122010131003", msgAppointedMonth},
		{"appointed the month before turning 18", "200703312025021001", msgAppointedYoung},
		{"appointed before birth", "198503121980011003", msgAppointedYoung},
		{"appointed next month", "199505052025071001", msgAppointedLater},
		{"gender digit 0", "198503122010010003", msgGender},
		{"gender digit 3", "198503122010013003", msgGender},
		{"serial 000", "198503122010011000", msgSerial},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in, now)
			if got := nipMessage(t, err); got != tt.want {
				t.Errorf("Parse(%q) error = %q, want %q", tt.in, got.EN, tt.want.EN)
			}
		})
	}
}

func TestParseJudgesTheFutureByTheCallersCalendar(t *testing.T) {
	t.Parallel()
	// 1 July 2025 05:00 in Jakarta is still 30 June in UTC. For an Indonesian
	// caller, July has begun, so a July appointment is not in the future.
	jakarta := time.FixedZone("WIB", 7*60*60)
	nowInJakarta := time.Date(2025, time.July, 1, 5, 0, 0, 0, jakarta)
	in := "199505052025071001"
	if _, err := Parse(in, nowInJakarta); err != nil {
		t.Errorf("Parse(%q, %v) error = %v, want nil", in, nowInJakarta, err)
	}
	birth := "20250701"
	if _, err := parseBirthDate(birth, nowInJakarta); err != nil {
		t.Errorf("parseBirthDate(%q, %v) error = %v, want nil", birth, nowInJakarta, err)
	}
}

func TestParseErrorsAreFreshForEveryCall(t *testing.T) {
	t.Parallel()
	first := apperr.As(mustFail(t, "x"))
	first.Fields[0].Message = apperr.Text{ID: "diubah", EN: "changed"}
	if got := nipMessage(t, mustFail(t, "x")); got != msgNotDigits {
		t.Errorf("Parse(%q) error = %q after a caller changed an earlier one, want %q", "x", got.EN, msgNotDigits.EN)
	}
}

func TestStringReturnsTheEighteenDigits(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"198503122010011003", "199001012015032001", "196811251994031999"} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			n, err := Parse(in, now)
			if err != nil {
				t.Fatalf("Parse(%q) error = %v", in, err)
			}
			if got := n.String(); got != in {
				t.Errorf("Parse(%q).String() = %q, want %q", in, got, in)
			}
		})
	}
}

func TestNormalizeKeepsOnlyDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"already normalized", "198503122010011003", "198503122010011003"},
		{"spaces between groups", "19850312 201001 1 003", "198503122010011003"},
		{"dashes, dots and whitespace", " 19850312-201001.1 003\n", "198503122010011003"},
		{"letters", "NIP: 198503122010011003", "198503122010011003"},
		{"full-width digits are not ASCII digits", "１２３", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// nipMessage returns the message of the single "nip" field error in err,
// failing the test if err is not such an error.
func nipMessage(t *testing.T, err error) apperr.Text {
	t.Helper()
	if err == nil {
		t.Fatal("error = nil, want an invalid NIP error")
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

func mustFail(t *testing.T, in string) error {
	t.Helper()
	_, err := Parse(in, now)
	if err == nil {
		t.Fatalf("Parse(%q) error = nil, want an error", in)
	}
	return err
}
