package quiz

import (
	"testing"

	"github.com/google/uuid"
)

func TestAStemsFilesShowOnTheQuizPageAsImageSoundOrVideo(t *testing.T) {
	t.Parallel()
	cases := []struct {
		contentType, want string
	}{
		{"image/png", "image"},
		{"image/jpeg", "image"},
		{"audio/mpeg", "audio"},
		{"audio/wave", "audio"},
		{"application/ogg", "audio"},
		{"video/mp4", "video"},
		{"video/webm", "video"},
	}
	slot := Slot{Slot: 1, Content: Content{Type: TypeEssay, Stem: "<p>Lihat gambar</p>"}}
	for _, c := range cases {
		slot.Media = append(slot.Media, MediaLink{FileID: uuid.New(), ContentType: c.contentType, URL: "https://store.example/" + c.contentType})
	}
	q := toQuestionPage(slot, AttemptView{})
	if len(q.Media) != len(cases) {
		t.Fatalf("the page shows %d files, want %d", len(q.Media), len(cases))
	}
	for i, c := range cases {
		if q.Media[i].Kind != c.want || q.Media[i].URL != "https://store.example/"+c.contentType {
			t.Errorf("%s shows as %+v, want a %s at its presigned URL", c.contentType, q.Media[i], c.want)
		}
	}
}
