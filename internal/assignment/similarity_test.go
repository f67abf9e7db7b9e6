package assignment

import (
	"testing"

	"github.com/google/uuid"
)

const plan = "Kami akan membangun layanan perizinan daring yang terhubung dengan data kependudukan agar warga tidak perlu datang ke kantor."

func TestCopiesAmongOtherLearnersWorkAreFlaggedForTheGrader(t *testing.T) {
	mine := Submission{ID: uuid.New(), OwnerID: uuid.New(), Text: plan, Files: []SubmittedFile{{SHA256: "aaa"}}}
	sameFile := Submission{ID: uuid.New(), OwnerID: uuid.New(), Files: []SubmittedFile{{SHA256: "aaa"}}}
	nearText := Submission{ID: uuid.New(), OwnerID: uuid.New(), Text: plan + " Terima kasih."}
	ownEarlier := Submission{ID: uuid.New(), OwnerID: mine.OwnerID, Text: plan, Files: []SubmittedFile{{SHA256: "aaa"}}}
	different := Submission{ID: uuid.New(), OwnerID: uuid.New(), Text: "Dasbor kinerja pelayanan publik dengan indikator kepuasan masyarakat setiap bulan di kecamatan.",
		Files: []SubmittedFile{{SHA256: "bbb"}}}
	flags := similarities(mine, []Submission{sameFile, nearText, ownEarlier, different})
	got := map[uuid.UUID]string{}
	for _, f := range flags {
		got[f.OtherSubmissionID] = f.Kind
	}
	want := map[uuid.UUID]string{sameFile.ID: FlagExactFile, nearText.ID: FlagNearText}
	if len(got) != len(want) || got[sameFile.ID] != FlagExactFile || got[nearText.ID] != FlagNearText {
		t.Errorf("flags = %+v, want %v (never one's own earlier version, never different work)", flags, want)
	}
}

func TestShortTextsAreTooShortToCallCopies(t *testing.T) {
	a := Submission{ID: uuid.New(), OwnerID: uuid.New(), Text: "Rencana layanan."}
	b := Submission{ID: uuid.New(), OwnerID: uuid.New(), Text: "Rencana layanan."}
	if flags := similarities(a, []Submission{b}); len(flags) != 0 {
		t.Errorf("two-word answers flagged: %+v", flags)
	}
}
