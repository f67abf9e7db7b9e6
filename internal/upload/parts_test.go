package upload_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/upload"
)

// hrFile returns an HR export of at least size bytes.
func hrFile(size int) []byte {
	var b bytes.Buffer
	b.WriteString("nip,nama,email,unit_code\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "19850312201001100%d,Pegawai %d,pegawai%d@instansi.go.id,UNIT-A\n", i%10, i, i)
	}
	return b.Bytes()
}

// putPart sends one part to its presigned URL and returns the ETag the S3
// server answered with.
func putPart(t *testing.T, part upload.PartURL, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, part.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("PUT part %d: %v", part.Number, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("PUT part %d = %d (ETag %q) %s, want 200 with an ETag", part.Number, resp.StatusCode, resp.Header.Get("ETag"), msg)
	}
	return resp.Header.Get("ETag")
}

// putParts sends body in the parts p asks for and returns what completes them.
func putParts(t *testing.T, p upload.Pending, body []byte) []objectstore.Part {
	t.Helper()
	var done []objectstore.Part
	for _, part := range p.Parts {
		from := int64(part.Number-1) * p.PartSize
		chunk := body[from:min(from+p.PartSize, int64(len(body)))]
		done = append(done, objectstore.Part{Number: part.Number, ETag: putPart(t, part, chunk)})
	}
	return done
}

func TestALargeHRFileGoesStraightToTheObjectStoreInParts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.SetParts(6*upload.MiB, 5*upload.MiB)
	ctx := as(authz.RoleOrgAdmin, f.agency)
	body := hrFile(11 * int(upload.MiB))

	small, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "kecil.csv",
		ContentType: "text/csv", Size: 5 * upload.MiB, OrgID: f.agency.ID})
	if err != nil || small.URL == "" || len(small.Parts) != 0 {
		t.Fatalf("Create(5 MiB) = %+v, %v; want one PUT URL", small, err)
	}
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "siasn-nasional.csv",
		ContentType: "text/csv", Size: int64(len(body)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatalf("Create(11 MiB) = %v", err)
	}
	if p.URL != "" || p.PartSize != 5*upload.MiB || len(p.Parts) != 3 || p.Parts[2].Number != 3 || !p.ExpiresAt.After(time.Now()) {
		t.Fatalf("Create(11 MiB) = URL %q, part size %d, %d parts; want three parts of 5 MiB", p.URL, p.PartSize, len(p.Parts))
	}
	parts := putParts(t, p, body)

	t.Run("completing without the parts is refused and keeps the upload", func(t *testing.T) {
		_, err := f.svc.Complete(ctx, p.UploadID, "")
		wantKind(t, "Complete(no parts)", err, apperr.KindInvalid)
	})
	t.Run("parts out of order are refused", func(t *testing.T) {
		_, err := f.svc.CompleteParts(ctx, p.UploadID, "", []objectstore.Part{parts[1], parts[0], parts[2]})
		wantKind(t, "CompleteParts(out of order)", err, apperr.KindInvalid)
	})
	t.Run("an ETag that is not the part's is refused by the store and keeps the upload", func(t *testing.T) {
		wrong := append([]objectstore.Part{}, parts...)
		wrong[1].ETag = `"00000000000000000000000000000000"`
		_, err := f.svc.CompleteParts(ctx, p.UploadID, "", wrong)
		wantKind(t, "CompleteParts(wrong ETag)", err, apperr.KindInvalid)
	})
	file, err := f.svc.CompleteParts(ctx, p.UploadID, digest(body), parts)
	if err != nil {
		t.Fatalf("CompleteParts = %v", err)
	}
	if file.Size != int64(len(body)) || file.SHA256 != digest(body) || file.ContentType != "text/plain" {
		t.Errorf("CompleteParts = %+v, want the whole file verified", file)
	}
	again, err := f.svc.CompleteParts(ctx, p.UploadID, "", parts)
	if err != nil || again != file {
		t.Errorf("CompleteParts(again) = %+v, %v; want the same file", again, err)
	}
	stored, err := f.objects.Open(context.Background(), file.ObjectKey)
	if err != nil {
		t.Fatal(err)
	}
	defer stored.Close()
	if got, _ := io.ReadAll(stored); !bytes.Equal(got, body) {
		t.Errorf("the stored file has %d bytes, want the %d sent", len(got), len(body))
	}
}

func TestAFileSentInOnePUTTakesNoParts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleOrgAdmin, f.agency)
	body := hrFile(1024)
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "unit.csv",
		ContentType: "text/csv", Size: int64(len(body)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatal(err)
	}
	put(t, p, body)
	_, err = f.svc.CompleteParts(ctx, p.UploadID, "", []objectstore.Part{{Number: 1, ETag: `"x"`}})
	wantKind(t, "CompleteParts(single PUT)", err, apperr.KindInvalid)
	if _, err := f.svc.Complete(ctx, p.UploadID, ""); err != nil {
		t.Errorf("Complete = %v, want the file", err)
	}
}

func TestAnHRFileMayBeTwoGiBAndNoMore(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := as(authz.RoleOrgAdmin, f.agency)
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "nasional.csv",
		ContentType: "text/csv", Size: 2 * upload.GiB, OrgID: f.agency.ID})
	if err != nil || len(p.Parts) != 128 {
		t.Fatalf("Create(2 GiB) = %d parts, %v; want 128 parts of 16 MiB", len(p.Parts), err)
	}
	_, err = f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "nasional.csv",
		ContentType: "text/csv", Size: 2*upload.GiB + 1, OrgID: f.agency.ID})
	wantKind(t, "Create(2 GiB + 1)", err, apperr.KindTooLarge)
}

func TestCleanupAbortsAnUploadInPartsNeverCompleted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.svc.SetParts(upload.MiB, 5*upload.MiB)
	ctx := as(authz.RoleOrgAdmin, f.agency)
	body := hrFile(2 * int(upload.MiB))
	p, err := f.svc.Create(ctx, upload.Input{Purpose: upload.PurposeUserImport, Filename: "lama.csv",
		ContentType: "text/csv", Size: int64(len(body)), OrgID: f.agency.ID})
	if err != nil {
		t.Fatal(err)
	}
	parts := putParts(t, p, body)
	removed, err := f.svc.Cleanup(context.Background(), time.Now().Add(time.Minute))
	if err != nil || removed != 1 {
		t.Fatalf("Cleanup = %d, %v; want the upload removed", removed, err)
	}
	if _, err := f.svc.CompleteParts(ctx, p.UploadID, "", parts); !errors.Is(err, upload.ErrUploadNotFound) {
		t.Errorf("CompleteParts after the clean-up = %v, want ErrUploadNotFound", err)
	}
}
