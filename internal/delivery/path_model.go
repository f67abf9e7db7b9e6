package delivery

import (
	"time"

	"github.com/google/uuid"
)

// StepStatus is where a learner is on one step of a path.
type StepStatus string

// The statuses of a path step.
const (
	StepLocked    StepStatus = "locked"
	StepUnlocked  StepStatus = "unlocked" // open, but no class could be joined yet
	StepEnrolled  StepStatus = "enrolled"
	StepCompleted StepStatus = "completed"
)

// PathEnrolment is a learner on a learning path.
type PathEnrolment struct {
	ID              uuid.UUID
	PathID          uuid.UUID
	UserID          uuid.UUID
	Status          string // active|completed
	CurrentPosition int
	Steps           []PathStepState
	CreatedAt       time.Time
	CompletedAt     *time.Time
}

// PathStepState is a learner's state on one step of a path.
type PathStepState struct {
	CourseID    uuid.UUID
	Position    int
	Status      StepStatus
	EnrolmentID *uuid.UUID
	CompletedAt *time.Time
}
