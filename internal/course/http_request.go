package course

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// nullable is a request field that may be absent, null or a value.
type nullable[T any] struct {
	set   bool
	value *T
}

func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.set = true
	if string(b) == "null" {
		n.value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.value = &v
	return nil
}

func (n nullable[T]) toOptional() Optional[T] { return Optional[T]{Set: n.set, Value: n.value} }

type versionFieldsRequest struct {
	Title          *string             `json:"title"`
	Summary        *string             `json:"summary"`
	Language       *Language           `json:"language"`
	Objectives     *[]string           `json:"objectives"`
	CompetencyTags *[]string           `json:"competency_tags"`
	Tags           *[]string           `json:"tags"`
	DeliveryMode   *DeliveryMode       `json:"delivery_mode"`
	JPCredit       nullable[float64]   `json:"jp_credit"`
	Level          *Level              `json:"level"`
	CoverFileID    nullable[uuid.UUID] `json:"cover_file_id"`
}

func (r versionFieldsRequest) toPatch() VersionPatch {
	return VersionPatch{Title: r.Title, Summary: r.Summary, Language: r.Language, Objectives: r.Objectives,
		CompetencyTags: r.CompetencyTags, Tags: r.Tags, DeliveryMode: r.DeliveryMode, JPCredit: r.JPCredit.toOptional(),
		Level: r.Level, CoverFileID: r.CoverFileID.toOptional()}
}

type createCourseRequest struct {
	OrgID        uuid.UUID   `json:"org_id"`
	Code         string      `json:"code"`
	Sharing      Sharing     `json:"sharing"`
	SharedOrgIDs []uuid.UUID `json:"shared_org_ids"`
	versionFieldsRequest
}

func (r createCourseRequest) toInput() NewCourse {
	return NewCourse{OrgID: r.OrgID, Code: r.Code, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs, Version: r.toPatch()}
}

type updateCourseRequest struct {
	Code         *string      `json:"code"`
	Sharing      *Sharing     `json:"sharing"`
	SharedOrgIDs *[]uuid.UUID `json:"shared_org_ids"`
}

func (r updateCourseRequest) toPatch() CoursePatch {
	return CoursePatch{Code: r.Code, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs}
}

type moduleRequest struct {
	Title   *string `json:"title"`
	Summary *string `json:"summary"`
}

func (r moduleRequest) toInput() ModuleInput { return ModuleInput{Title: r.Title, Summary: r.Summary} }

type itemRequest struct {
	Kind               ItemKind            `json:"kind"`
	Title              *string             `json:"title"`
	Required           *bool               `json:"required"`
	EstimatedMinutes   *int                `json:"estimated_minutes"`
	Body               *string             `json:"body"`
	URL                nullable[string]    `json:"url"`
	FileID             nullable[uuid.UUID] `json:"file_id"`
	RefID              nullable[uuid.UUID] `json:"ref_id"`
	ReleaseAt          nullable[time.Time] `json:"release_at"`
	ReleaseAfterItemID nullable[uuid.UUID] `json:"release_after_item_id"`
}

func (r itemRequest) toInput() ItemInput {
	return ItemInput{Kind: r.Kind, Title: r.Title, Required: r.Required, EstimatedMinutes: r.EstimatedMinutes, Body: r.Body,
		URL: r.URL.toOptional(), FileID: r.FileID.toOptional(), RefID: r.RefID.toOptional(),
		ReleaseAt: r.ReleaseAt.toOptional(), ReleaseAfterItemID: r.ReleaseAfterItemID.toOptional()}
}

type reorderRequest struct {
	Modules []struct {
		ID      uuid.UUID `json:"id"`
		Lessons []struct {
			ID      uuid.UUID   `json:"id"`
			ItemIDs []uuid.UUID `json:"item_ids"`
		} `json:"lessons"`
	} `json:"modules"`
}

func (r reorderRequest) toOutline() Outline {
	o := make(Outline, len(r.Modules))
	for i, m := range r.Modules {
		o[i].ID = m.ID
		for _, l := range m.Lessons {
			o[i].Lessons = append(o[i].Lessons, OutlineLesson{ID: l.ID, ItemIDs: l.ItemIDs})
		}
	}
	return o
}

type checklistBody struct {
	Objectives    bool `json:"objectives"`
	Assessment    bool `json:"assessment"`
	JP            bool `json:"jp"`
	Accessibility bool `json:"accessibility"`
}

type reviewRequest struct {
	Decision  Decision      `json:"decision"`
	Checklist checklistBody `json:"checklist"`
	Comments  string        `json:"comments"`
}

func (r reviewRequest) toInput() ReviewInput {
	return ReviewInput{Decision: r.Decision, Checklist: Checklist(r.Checklist), Comments: r.Comments}
}

type stepRequest struct {
	CourseID              uuid.UUID   `json:"course_id"`
	PrerequisiteCourseIDs []uuid.UUID `json:"prerequisite_course_ids"`
}

func toStepInputs(steps []stepRequest) []StepInput {
	out := make([]StepInput, len(steps))
	for i, st := range steps {
		out[i] = StepInput(st)
	}
	return out
}

type createPathRequest struct {
	OrgID        uuid.UUID     `json:"org_id"`
	Code         string        `json:"code"`
	Title        string        `json:"title"`
	Description  string        `json:"description"`
	Sharing      Sharing       `json:"sharing"`
	SharedOrgIDs []uuid.UUID   `json:"shared_org_ids"`
	Steps        []stepRequest `json:"steps"`
}

func (r createPathRequest) toInput() PathInput {
	return PathInput{OrgID: r.OrgID, Code: r.Code, Title: r.Title, Description: r.Description, Sharing: r.Sharing,
		SharedOrgIDs: r.SharedOrgIDs, Steps: toStepInputs(r.Steps)}
}

type updatePathRequest struct {
	Code         *string        `json:"code"`
	Title        *string        `json:"title"`
	Description  *string        `json:"description"`
	Sharing      *Sharing       `json:"sharing"`
	SharedOrgIDs *[]uuid.UUID   `json:"shared_org_ids"`
	Steps        *[]stepRequest `json:"steps"`
}

func (r updatePathRequest) toPatch() PathPatch {
	p := PathPatch{Code: r.Code, Title: r.Title, Description: r.Description, Sharing: r.Sharing, SharedOrgIDs: r.SharedOrgIDs}
	if r.Steps != nil {
		steps := toStepInputs(*r.Steps)
		p.Steps = &steps
	}
	return p
}
