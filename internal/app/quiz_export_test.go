package app

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"testing"

	"github.com/corpu/corpu/internal/quiz/moodleformat"
)

func TestABankIsExportedAsAFileNamedAfterItInBothFormats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, c := range w.as {
		c.t = t
	}
	q := w.quizzes(t)
	instructor := w.as[mInstructor]
	for _, tc := range []struct{ format, contentType, filename string }{
		{"moodle_xml", "application/xml", "Bank Pelayanan Jawa Barat.xml"},
		{"gift", "text/plain; charset=utf-8", "Bank Pelayanan Jawa Barat.gift.txt"},
	} {
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/question-banks/"+q.bank+"/export?format="+tc.format, nil)
		req.Header.Set("Authorization", "Bearer "+instructor.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkContract(t, req, nil, resp, data)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != tc.contentType {
			t.Fatalf("%s: %d %q, want 200 %q: %s", tc.format, resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType, data)
		}
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != tc.filename {
			t.Errorf("%s: Content-Disposition %q, want attachment named %q", tc.format, resp.Header.Get("Content-Disposition"), tc.filename)
		}
		var res moodleformat.Result
		if tc.format == "gift" {
			res, err = moodleformat.ParseGIFT(bytes.NewReader(data))
		} else {
			res, err = moodleformat.ParseXML(bytes.NewReader(data))
		}
		if err != nil || len(res.Problems) != 0 || len(res.Questions) != 1 {
			t.Fatalf("%s: parse = %v, problems %+v, %d questions:\n%s", tc.format, err, res.Problems, len(res.Questions), data)
		}
		got := res.Questions[0]
		if got.Type != moodleformat.TypeTrueFalse || len(got.Answers) != 2 || got.Answers[0].Fraction != 1 || got.Answers[1].Fraction != 0 {
			t.Errorf("%s: read back %+v, want a true/false question whose answer is true", tc.format, got)
		}
	}
	path := "/api/v1/question-banks/" + q.bank + "/export?format="
	if got := w.as[mLearner].do("GET", path+"gift", nil, nil); got != http.StatusNotFound {
		t.Errorf("a learner exports: %d, want 404", got)
	}
	if got := instructor.do("GET", path+"csv", nil, nil); got != http.StatusUnprocessableEntity {
		t.Errorf("export as csv: %d, want 422", got)
	}
}
