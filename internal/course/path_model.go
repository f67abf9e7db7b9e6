package course

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/corpu/corpu/internal/platform/apperr"
)

// LearningPath is an ordered set of courses with prerequisites.
type LearningPath struct {
	ID           uuid.UUID
	OrgID        uuid.UUID
	Code         string
	Title        string
	Description  string
	Sharing      Sharing
	SharedOrgIDs []uuid.UUID
	Steps        []PathStep
	CreatedBy    uuid.UUID
	ArchivedAt   *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PathStep is one course of a learning path.
type PathStep struct {
	CourseID              uuid.UUID
	Position              int
	PrerequisiteCourseIDs []uuid.UUID // courses of earlier steps to complete first
	PublishedVersionID    *uuid.UUID  // the course's current published version, nil once it is archived
}

// StepInput is one step a client sends, in order.
type StepInput struct {
	CourseID              uuid.UUID
	PrerequisiteCourseIDs []uuid.UUID
}

// PathInput creates a learning path.
type PathInput struct {
	OrgID        uuid.UUID
	Code         string
	Title        string
	Description  string
	Sharing      Sharing
	SharedOrgIDs []uuid.UUID
	Steps        []StepInput
}

// PathPatch changes a learning path; nil fields stay.
type PathPatch struct {
	Code         *string
	Title        *string
	Description  *string
	Sharing      *Sharing
	SharedOrgIDs *[]uuid.UUID
	Steps        *[]StepInput // replaces every step
}

func (p *LearningPath) validate() error {
	p.Code, p.Title, p.Description = strings.TrimSpace(p.Code), strings.TrimSpace(p.Title), strings.TrimSpace(p.Description)
	var v apperr.Validation
	checkCode(&v, p.Code)
	v.Check(p.Title != "" && utf8.RuneCountInString(p.Title) <= 200, "title", "wajib diisi, paling banyak 200 karakter", "is required, at most 200 characters")
	v.Check(utf8.RuneCountInString(p.Description) <= 5000, "description", "paling banyak 5000 karakter", "at most 5000 characters")
	checkText(&v, "title", p.Title)
	checkText(&v, "description", p.Description)
	checkSharing(&v, p.Sharing, p.SharedOrgIDs)
	v.Check(len(p.Steps) > 0 && len(p.Steps) <= 100, "steps", "harus memuat 1 sampai 100 kursus", "must hold 1 to 100 courses")
	seen := map[uuid.UUID]bool{}
	for i, st := range p.Steps {
		field := fmt.Sprintf("steps[%d]", i)
		v.Check(st.CourseID != uuid.Nil, field+".course_id", "wajib diisi", "is required")
		v.Check(!seen[st.CourseID], field+".course_id", "kursus sudah ada di jalur ini", "the course is already on this path")
		for _, pre := range st.PrerequisiteCourseIDs {
			v.Check(seen[pre], field+".prerequisite_course_ids",
				"prasyarat harus kursus dari langkah sebelumnya", "prerequisites must be courses of earlier steps")
		}
		seen[st.CourseID] = true
	}
	return v.Err()
}
