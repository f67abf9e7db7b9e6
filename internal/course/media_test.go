package course

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/authz"
	"github.com/corpu/corpu/internal/platform/objectstore"
	"github.com/corpu/corpu/internal/upload"
)

// storeFiles hands out download URLs from a real S3 bucket, as the upload
// service does, for the completed uploads it lists.
type storeFiles struct {
	store *objectstore.Store
	files map[uuid.UUID]upload.File
}

func (f storeFiles) File(_ context.Context, id uuid.UUID) (upload.File, error) {
	file, ok := f.files[id]
	if !ok {
		return upload.File{}, upload.ErrFileNotFound
	}
	return file, nil
}

// put stores body as a completed upload of purpose by the named person for
// their home organisation, and returns its id.
func (f storeFiles) put(tb testing.TB, fx *fixture, who string, purpose upload.Purpose, body []byte) uuid.UUID {
	tb.Helper()
	id := uuid.Must(uuid.NewV7())
	key := "files/" + id.String()
	if err := f.store.Put(context.Background(), key, bytes.NewReader(body), int64(len(body)), "application/octet-stream"); err != nil {
		tb.Fatalf("Put: %v", err)
	}
	a := fx.actor[who]
	f.files[id] = upload.File{ID: id, OwnerID: a.UserID, OrgID: a.HomeOrgID, Purpose: purpose, ObjectKey: key}
	return id
}

func (f storeFiles) DownloadURL(ctx context.Context, fileID uuid.UUID, filename string) (objectstore.Presigned, error) {
	return f.store.PresignGet(ctx, "files/"+fileID.String(), filename)
}

func TestMediaURLsAreHandedOnlyToCallersWhoMaySeeTheItem(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	store := objectstore.NewTestStore(t)
	files := storeFiles{store: store, files: map[uuid.UUID]upload.File{}}
	f.svc.files = files
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 512)...)
	docFile := files.put(t, f, "authorA", upload.PurposeCourseDocument, pdf)
	videoFile := files.put(t, f, "authorA", upload.PurposeCourseVideo, pdf)
	videoFileB := files.put(t, f, "authorB", upload.PurposeCourseVideo, pdf)

	// Agency A shares a course nationally with a document, a video released
	// tomorrow and a text; agency B keeps a course with a video to itself.
	_, v := f.draftCourse(courseSpec{code: "MEDIA", title: "Media", sharing: SharingNational})
	lesson := mustVersion(t, f, "authorA", v.ID).Modules[0].Lessons[0]
	text := lesson.Items[0]
	doc := f.addItem(lesson.ID, ItemInput{Kind: KindDocument, Title: ptr("Modul PDF"), FileID: Some(docFile)})
	tomorrow := time.Now().Add(24 * time.Hour)
	later := f.addItem(lesson.ID, ItemInput{Kind: KindVideo, Title: ptr("Video"), FileID: Some(videoFile), ReleaseAt: Some(tomorrow)})
	f.submitAndApprove("A", v.ID)
	_, vb := f.draftCourse(courseSpec{owner: "B", code: "MEDIA-B", title: "Media B", sharing: SharingPrivate})
	lessonB := mustVersion(t, f, "authorB", vb.ID).Modules[0].Lessons[0]
	video := f.addItemAs("authorB", lessonB.ID, ItemInput{Kind: KindVideo, Title: ptr("Video B"), FileID: Some(videoFileB)})
	f.submitAndApprove("B", vb.ID)

	f.access.enrol(f.actor["learnerP1"].UserID, v.ID)
	f.access.enrol(f.actor["learnerA1"].UserID, uuid.Must(uuid.NewV7())) // enrolled elsewhere only

	tests := []struct {
		name string
		who  string
		item uuid.UUID
		want error // nil: a working URL
	}{
		{"the author downloads a published version's file", "authorA", doc.ID, nil},
		{"the institute's reviewer downloads it", "reviewerA", doc.ID, nil},
		{"the author downloads a file not yet released to learners", "authorA", later.ID, nil},
		{"an enrolled learner downloads a released file", "learnerP1", doc.ID, nil},
		{"an enrolled learner waits for the release date", "learnerP1", later.ID, ErrItemNotReleased},
		{"a learner who only browses the catalogue may not", "learnerB1", doc.ID, authz.ErrForbidden},
		{"a learner of another agency cannot find a private course's file", "learnerA1", video.ID, ErrItemNotFound},
		{"an instructor of another agency cannot find it either", "authorA", video.ID, ErrItemNotFound},
		{"a text item has no file", "authorA", text.ID, ErrNoMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.svc.MediaURL(f.as(tt.who), tt.item)
			if tt.want != nil {
				wantErr(t, "MediaURL", err, tt.want)
				return
			}
			if err != nil {
				t.Fatalf("MediaURL = %v, want a URL", err)
			}
			if p.Method != http.MethodGet || time.Until(p.ExpiresAt) > 10*time.Minute {
				t.Errorf("MediaURL = %s until %s, want a short-lived GET", p.Method, p.ExpiresAt)
			}
			resp, err := http.Get(p.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) {
				t.Errorf("GET presigned URL = %d with %d bytes, want the stored file", resp.StatusCode, len(body))
			}
		})
	}

	t.Run("without the delivery package only staff download", func(t *testing.T) {
		staffOnly := *f.svc
		staffOnly.access = nil
		if _, err := staffOnly.MediaURL(f.as("learnerP1"), doc.ID); !errors.Is(err, authz.ErrForbidden) {
			t.Errorf("MediaURL(enrolled learner, no Access) = %v, want ErrForbidden", err)
		}
	})
	t.Run("without file storage the URL is unavailable", func(t *testing.T) {
		noFiles := *f.svc
		noFiles.files = nil
		if _, err := noFiles.MediaURL(f.as("authorA"), doc.ID); !errors.Is(err, ErrMediaUnavailable) {
			t.Errorf("MediaURL(no Files) = %v, want ErrMediaUnavailable", err)
		}
	})
}

func (f *fixture) addItem(lessonID uuid.UUID, in ItemInput) Item {
	f.t.Helper()
	return f.addItemAs("authorA", lessonID, in)
}

func (f *fixture) addItemAs(who string, lessonID uuid.UUID, in ItemInput) Item {
	f.t.Helper()
	it, err := f.svc.AddItem(f.as(who), lessonID, in)
	if err != nil {
		f.t.Fatalf("AddItem(%s) = %v", in.Kind, err)
	}
	return it
}

func TestADraftRefersOnlyToCourseFilesTheAuthorMayUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	files := storeFiles{store: objectstore.NewTestStore(t), files: map[uuid.UUID]upload.File{}}
	f.svc.files = files
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 64)...)
	docA := files.put(t, f, "authorA", upload.PurposeCourseDocument, pdf)
	docB := files.put(t, f, "authorB", upload.PurposeCourseDocument, pdf)
	imageB := files.put(t, f, "authorB", upload.PurposeCourseImage, pdf)
	submission := files.put(t, f, "learnerB1", upload.PurposeAssignmentSubmission, pdf)
	_, v := f.draftCourse(courseSpec{owner: "B", code: "FILES", title: "Berkas"})
	lesson := mustVersion(t, f, "authorB", v.ID).Modules[0].Lessons[0]
	ctx := f.as("authorB")

	tests := []struct {
		name  string
		do    func() error
		field string // "": allowed
	}{
		{"another agency's document", func() error {
			_, err := f.svc.AddItem(ctx, lesson.ID, ItemInput{Kind: KindDocument, Title: ptr("PDF"), FileID: Some(docA)})
			return err
		}, "file_id"},
		{"a learner's assignment submission", func() error {
			_, err := f.svc.AddItem(ctx, lesson.ID, ItemInput{Kind: KindDocument, Title: ptr("PDF"), FileID: Some(submission)})
			return err
		}, "file_id"},
		{"a file that does not exist", func() error {
			_, err := f.svc.AddItem(ctx, lesson.ID, ItemInput{Kind: KindVideo, Title: ptr("Video"), FileID: Some(uuid.Must(uuid.NewV7()))})
			return err
		}, "file_id"},
		{"a document uploaded as an image", func() error {
			_, err := f.svc.AddItem(ctx, lesson.ID, ItemInput{Kind: KindDocument, Title: ptr("PDF"), FileID: Some(imageB)})
			return err
		}, "file_id"},
		{"another agency's file as the cover", func() error {
			_, err := f.svc.UpdateVersion(ctx, v.ID, VersionPatch{CoverFileID: Some(docA)}, 0)
			return err
		}, "cover_file_id"},
		{"the author's own document", func() error {
			_, err := f.svc.AddItem(ctx, lesson.ID, ItemInput{Kind: KindDocument, Title: ptr("PDF"), FileID: Some(docB)})
			return err
		}, ""},
		{"the author's own image as the cover", func() error {
			_, err := f.svc.UpdateVersion(ctx, v.ID, VersionPatch{CoverFileID: Some(imageB)}, 0)
			return err
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("%s = %v, want it allowed", tt.name, err)
				}
				return
			}
			wantErr(t, tt.name, err, errValidation, tt.field)
		})
	}
	if n := f.count("SELECT count(*) FROM course_items WHERE version_id = ? AND file_id IS NOT NULL", v.ID); n != 1 {
		t.Errorf("items with a file = %d, want only the author's own document", n)
	}
}
