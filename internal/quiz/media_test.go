package quiz

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/upload"
)

// pngBytes sniff as image/png.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{7}, 64)...)

// uploadFor sends a file through the upload flow as the actor, for org.
func (f *importFixture) uploadFor(actor, org string, purpose upload.Purpose, contentType string, body []byte) uuid.UUID {
	f.t.Helper()
	ctx := f.as(actor)
	p, err := f.uploads.Create(ctx, upload.Input{Purpose: purpose, Filename: "gambar.png", ContentType: contentType,
		Size: int64(len(body)), OrgID: f.org[org]})
	if err != nil {
		f.t.Fatalf("upload Create: %v", err)
	}
	req, _ := http.NewRequest(p.Method, p.URL, bytes.NewReader(body))
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		f.t.Fatalf("PUT = %v, %v", resp, err)
	}
	resp.Body.Close()
	file, err := f.uploads.Complete(ctx, p.UploadID, "")
	if err != nil {
		f.t.Fatalf("upload Complete: %v", err)
	}
	return file.ID
}

func TestAQuestionShowsOnlyMediaUploadedForItsBanksOrganisation(t *testing.T) {
	t.Parallel()
	f := newImportFixture(t)
	f.svc.SetMedia(f.uploads, f.uploads)
	b, qs := f.bank()
	own := f.uploadFor("authorA", "A", upload.PurposeQuestionMedia, "image/png", pngBytes)
	otherOrg := f.uploadFor("authorB", "B", upload.PurposeQuestionMedia, "image/png", pngBytes)
	notMedia := f.uploadFor("authorA", "A", upload.PurposeQuestionImport, "text/plain", []byte("::Q:: 1+1? {=2 ~3}"))

	content := func(files ...uuid.UUID) *Content {
		c := fixtures()[TypeTrueFalse]
		for _, id := range files {
			c.Media = append(c.Media, Media{FileID: id})
		}
		return &c
	}
	questions := func() (n int64) {
		f.db.Conn(context.Background()).Raw("SELECT count(*) FROM question_versions v JOIN questions q ON q.id = v.question_id WHERE q.bank_id = ?", b.ID).Scan(&n)
		return n
	}
	before := questions()
	for _, c := range []struct {
		name    string
		content *Content
	}{
		{"a file of another organisation", content(otherOrg)},
		{"a file uploaded for a question import", content(notMedia)},
		{"a file that does not exist", content(uuid.Must(uuid.NewV7()))},
		{"the same file twice", content(own, own)},
	} {
		_, err := f.svc.CreateQuestion(f.as("authorA"), b.ID, QuestionInput{Content: c.content})
		wantKind(t, "CreateQuestion with "+c.name, err, apperr.KindInvalid)
		_, err = f.svc.UpdateQuestion(f.as("authorA"), b.ID, qs[TypeTrueFalse].ID, QuestionInput{Content: c.content})
		wantKind(t, "UpdateQuestion with "+c.name, err, apperr.KindInvalid)
	}
	if after := questions(); after != before {
		t.Fatalf("question versions %d → %d after refused media, want nothing written", before, after)
	}

	q, err := f.svc.CreateQuestion(f.as("authorA"), b.ID, QuestionInput{Content: content(own)})
	if err != nil {
		t.Fatalf("CreateQuestion with the bank's own medium: %v", err)
	}
	if len(q.Content.Media) != 1 || q.Content.Media[0].ContentType != "image/png" {
		t.Errorf("media = %+v, want the file with its sniffed type image/png", q.Content.Media)
	}
	stored, err := f.svc.Question(f.as("authorA"), b.ID, q.ID)
	if err != nil || len(stored.Content.Media) != 1 || stored.Content.Media[0].FileID != own {
		t.Errorf("the stored question's media = %+v, %v; want the file", stored.Content.Media, err)
	}

	f.setQuiz(QuizInput{}, q.ID)
	a, err := f.svc.Start(f.as("learnerA1"), f.quizID, f.classID)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	links := toAttemptResponse(a).Questions[0].Media
	if len(links) != 1 || links[0].FileID != own || links[0].ContentType != "image/png" || links[0].URL == "" {
		t.Fatalf("the learner's layout media = %+v, want one presigned URL of the file", links)
	}
	resp, err := http.Get(links[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, pngBytes) {
		t.Errorf("GET the medium's URL = %d with %d bytes, want 200 with the image", resp.StatusCode, len(got))
	}
	// Another learner of the class does not find the attempt, nor its media;
	// the class's instructor sees them.
	_, err = f.svc.GetAttempt(f.as("learner2"), a.ID)
	wantKind(t, "another learner reading the attempt", err, apperr.KindNotFound)
	staff, err := f.svc.GetAttempt(f.as("authorA"), a.ID)
	if err != nil || len(staff.Slots[0].Media) != 1 {
		t.Errorf("the instructor's view media = %+v, %v; want the medium", staff.Slots, err)
	}
}
