package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"

	"github.com/corpu/corpu/internal/upload"
)

// pendingInParts is the answer of POST /uploads for an upload in parts.
type pendingInParts struct {
	UploadID string `json:"upload_id"`
	URL      string `json:"url"`
	PartSize int64  `json:"part_size"`
	Parts    []struct {
		PartNumber int    `json:"part_number"`
		URL        string `json:"url"`
	} `json:"parts"`
}

func TestAnHRFileLargerThanOnePUTIsUploadedInPartsThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.srv.App.uploads.SetParts(6*upload.MiB, 5*upload.MiB) // the default sends 64 MiB and more in parts
	admin := f.clients["jabar org admin"]
	var body bytes.Buffer
	body.WriteString("nip,nama,email,unit_code\n")
	for i := 0; body.Len() < 7*int(upload.MiB); i++ {
		fmt.Fprintf(&body, "19850312201001100%d,Pegawai %d,pegawai%d@jabarprov.go.id,DISKOMINFO-JABAR\n", i%10, i, i)
	}
	var pending pendingInParts
	if s := admin.do("POST", "/api/v1/uploads", map[string]any{"purpose": "user_import", "filename": "siasn-jabar.csv",
		"content_type": "text/csv", "size": body.Len(), "org_id": f.org["PROV-JABAR"]}, &pending); s != http.StatusCreated {
		t.Fatalf("create upload = %d", s)
	}
	if pending.URL != "" || pending.PartSize != 5*upload.MiB || len(pending.Parts) != 2 {
		t.Fatalf("create upload = %+v, want two parts of 5 MiB and no single URL", pending)
	}
	type sentPart struct {
		PartNumber int    `json:"part_number"`
		ETag       string `json:"etag"`
	}
	var sent []sentPart
	for _, p := range pending.Parts {
		from := int64(p.PartNumber-1) * pending.PartSize
		chunk := body.Bytes()[from:min(from+pending.PartSize, int64(body.Len()))]
		req, _ := http.NewRequest(http.MethodPut, p.URL, bytes.NewReader(chunk))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("PUT part %d = %v, %v", p.PartNumber, res, err)
		}
		res.Body.Close()
		sent = append(sent, sentPart{PartNumber: p.PartNumber, ETag: res.Header.Get("ETag")})
	}
	complete := "/api/v1/uploads/" + pending.UploadID + "/complete"
	if s := admin.do("POST", complete, map[string]any{}, nil); s != http.StatusUnprocessableEntity {
		t.Errorf("complete without the parts = %d, want 422", s)
	}
	sum := sha256.Sum256(body.Bytes())
	var file struct {
		FileID string `json:"file_id"`
		Size   int    `json:"size"`
	}
	if s := admin.do("POST", complete, map[string]any{"sha256": hex.EncodeToString(sum[:]), "parts": sent}, &file); s != http.StatusOK || file.Size != body.Len() {
		t.Fatalf("complete with the parts = %d %+v, want the file of %d bytes", s, file, body.Len())
	}
	if s := admin.do("POST", "/api/v1/user-imports", map[string]any{"file_id": file.FileID, "org_id": f.org["PROV-JABAR"], "dry_run": true}, nil); s != http.StatusAccepted {
		t.Errorf("import the file = %d, want 202", s)
	}
}
