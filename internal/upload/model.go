// Package upload lets clients send files straight to the object store with
// presigned URLs, and turns a finished upload into a stored file once its
// size, its type (sniffed from the bytes, not taken from the name) and its
// sha256 have been checked. Other domains refer to files by id and hand out
// short-lived download URLs to callers they have authorized themselves.
package upload

import (
	"mime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
	"github.com/corpu/corpu/internal/platform/authz"
)

// Purpose is what a file is for; it decides who may upload it, which
// content types are accepted and how large it may be.
type Purpose string

// The purposes.
const (
	PurposeUserImport           Purpose = "user_import"
	PurposeCourseVideo          Purpose = "course_video"
	PurposeCourseDocument       Purpose = "course_document"
	PurposeCourseImage          Purpose = "course_image"
	PurposeAssignmentSubmission Purpose = "assignment_submission"
	// PurposeQuestionImport is a Moodle XML or GIFT file of questions for a
	// question bank; the authors of courses (who author banks) upload it.
	PurposeQuestionImport Purpose = "question_import"
	// PurposeQuestionMedia is an image, audio or video file a question's
	// stem shows, for the question banks of the organisation.
	PurposeQuestionMedia Purpose = "question_media"
	// PurposeCertificateImage is a logo, background or signature image of
	// an institute's certificate templates.
	PurposeCertificateImage Purpose = "certificate_image"
)

// Size units.
const (
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// Rule is what a purpose allows.
type Rule struct {
	// Permission the uploader must hold at the upload's organisation; empty
	// means any signed-in user (the domain that uses the file authorizes).
	Permission authz.Permission
	// Types are the content types accepted, as sniffed from the bytes.
	Types []string
	// Declared are further content types a client may declare for such a
	// file: browsers name a CSV "application/vnd.ms-excel" on machines with
	// Excel. What counts is always the sniffed type.
	Declared []string
	MaxSize  int64
}

// Rules is the table of purposes. It is static: a new purpose is a line here.
var Rules = map[Purpose]Rule{
	PurposeUserImport: {
		Permission: authz.UserImport,
		Types:      []string{"text/plain", "text/csv"},
		Declared:   []string{"application/vnd.ms-excel", "application/csv", "text/x-csv", "text/comma-separated-values"},
		// A national HR export is about 420 MB for 4.3 million people; it
		// goes in parts (see Service.Create) and is imported as a stream.
		MaxSize: 2 * GiB,
	},
	PurposeCourseVideo: {
		Permission: authz.MediaUpload,
		Types:      []string{"video/mp4", "video/webm"},
		MaxSize:    2 * GiB,
	},
	PurposeCourseDocument: {
		Permission: authz.MediaUpload,
		Types:      []string{"application/pdf"},
		MaxSize:    100 * MiB,
	},
	PurposeCourseImage: {
		Permission: authz.MediaUpload,
		Types:      []string{"image/png", "image/jpeg", "image/webp"},
		MaxSize:    10 * MiB,
	},
	PurposeQuestionImport: {
		Permission: authz.CourseAuthor,
		// "<?xml" sniffs as text/xml; a file with a byte-order mark, or GIFT, as text/plain.
		Types:    []string{"text/xml", "text/plain"},
		Declared: []string{"application/xml", "application/octet-stream"},
		MaxSize:  50 * MiB, // Moodle XML carries embedded images in base64
	},
	PurposeQuestionMedia: {
		Permission: authz.CourseAuthor,
		// http.DetectContentType names Ogg audio application/ogg and an MP3
		// only when it starts with an ID3 tag.
		Types:    []string{"image/png", "image/jpeg", "image/webp", "image/gif", "audio/mpeg", "audio/wave", "application/ogg", "video/mp4", "video/webm"},
		Declared: []string{"audio/mp3", "audio/wav", "audio/x-wav", "audio/ogg"},
		MaxSize:  100 * MiB,
	},
	PurposeCertificateImage: {
		Permission: authz.CertificateIssue,
		Types:      []string{"image/png", "image/jpeg"},
		MaxSize:    5 * MiB,
	},
	PurposeAssignmentSubmission: {
		Types:    []string{"application/pdf", "application/zip", "image/png", "image/jpeg"},
		Declared: []string{"application/x-zip-compressed", "application/x-zip"},
		MaxSize:  200 * MiB,
	},
}

// accepts reports whether a client may declare contentType for the purpose.
func (r Rule) accepts(contentType string) bool {
	return slices.Contains(r.Types, contentType) || slices.Contains(r.Declared, contentType)
}

// Status says whether an upload has been completed.
type Status string

// The statuses of an upload.
const (
	StatusPending   Status = "pending"
	StatusCompleted Status = "completed"
)

// Input is what a client sends to start an upload.
type Input struct {
	Purpose     Purpose
	Filename    string
	ContentType string // declared by the client; checked against the bytes on completion
	Size        int64  // declared by the client, in bytes
	OrgID       uuid.UUID
}

// Pending is an upload waiting for its bytes: the client PUTs them to URL
// with Headers before ExpiresAt, then completes the upload. A large upload
// comes in Parts instead: the client PUTs byte range [(n-1)×PartSize,
// n×PartSize) to part n's URL, keeps the ETag header of each answer and
// completes with the parts' numbers and ETags.
type Pending struct {
	UploadID  uuid.UUID
	URL       string // empty for an upload in parts
	Method    string
	Headers   map[string]string
	ExpiresAt time.Time
	PartSize  int64
	Parts     []PartURL
}

// PartURL is where one part of a large upload goes.
type PartURL struct {
	Number int
	URL    string
}

// File is a completed upload.
type File struct {
	ID          uuid.UUID
	OwnerID     uuid.UUID
	OrgID       uuid.UUID
	Purpose     Purpose
	Filename    string
	Size        int64
	ContentType string // sniffed from the bytes
	SHA256      string // hex
	ObjectKey   string
	CreatedAt   time.Time
	CompletedAt time.Time
}

// maxFilenameBytes bounds a file name, as most file systems do.
const maxFilenameBytes = 255

// normalize trims the input and checks what needs no database.
func (in *Input) normalize() (Rule, error) {
	in.Filename = strings.TrimSpace(in.Filename)
	var v apperr.Validation
	rule, ok := Rules[in.Purpose]
	v.Check(ok, "purpose",
		"harus salah satu dari: user_import, course_video, course_document, course_image, assignment_submission, question_import, question_media, certificate_image",
		"must be one of: user_import, course_video, course_document, course_image, assignment_submission, question_import, question_media, certificate_image")
	v.Check(validFilename(in.Filename), "filename",
		"wajib diisi, paling banyak 255 byte, tanpa garis miring atau karakter kendali",
		"is required, at most 255 bytes, without slashes or control characters")
	mediaType, _, err := mime.ParseMediaType(in.ContentType)
	in.ContentType = strings.ToLower(mediaType)
	v.Check(err == nil && in.ContentType != "", "content_type", "wajib diisi, mis. application/pdf", "is required, e.g. application/pdf")
	v.Check(in.Size > 0, "size", "harus lebih dari 0 byte", "must be more than 0 bytes")
	if err := v.Err(); err != nil {
		return Rule{}, err
	}
	if !rule.accepts(in.ContentType) {
		return Rule{}, errTypeNotAccepted(rule)
	}
	if in.Size > rule.MaxSize {
		return Rule{}, errTooLarge(rule)
	}
	return rule, nil
}

func validFilename(name string) bool {
	if name == "" || len(name) > maxFilenameBytes || !utf8.ValidString(name) || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsFunc(name, func(r rune) bool {
		return r == '/' || r == '\\' || unicode.IsControl(r) || r == utf8.RuneError
	})
}

// Errors of this package.
var (
	ErrUploadNotFound = apperr.New(apperr.KindNotFound, "upload.not_found",
		"Unggahan tidak ditemukan.", "Upload not found.")
	ErrFileNotFound = apperr.New(apperr.KindNotFound, "upload.file_not_found",
		"Berkas tidak ditemukan.", "File not found.")
	ErrChecksumFormat = apperr.Invalid("sha256", "harus 64 digit heksadesimal", "must be 64 hexadecimal digits")
)

func errTypeNotAccepted(r Rule) error {
	list := strings.Join(r.Types, ", ")
	return apperr.New(apperr.KindUnsupported, "upload.type_not_allowed",
		"Jenis berkas tidak diizinkan untuk keperluan ini; yang diterima: "+list+".",
		"This type of file is not allowed for this purpose; accepted: "+list+".")
}

func errTooLarge(r Rule) error {
	limit := humanSize(r.MaxSize)
	return apperr.New(apperr.KindTooLarge, "upload.too_large",
		"Ukuran berkas melebihi batas "+limit+".", "The file is larger than the limit of "+limit+".")
}

func humanSize(n int64) string {
	switch {
	case n%GiB == 0:
		return strconv.FormatInt(n/GiB, 10) + " GiB"
	case n%MiB == 0:
		return strconv.FormatInt(n/MiB, 10) + " MiB"
	default:
		return strconv.FormatInt(n, 10) + " B"
	}
}
