-- +goose Up
-- A regrade or a grader's change that takes a learner's grade of a quiz
-- below its pass mark takes back the item's completion while the class is
-- still in progress; the progress log records it as quiz_passed_revoked.
ALTER TABLE progress_events DROP CONSTRAINT progress_events_kind_check;
ALTER TABLE progress_events ADD CONSTRAINT progress_events_kind_check
    CHECK (kind IN ('viewed', 'video_watched', 'quiz_passed', 'quiz_passed_revoked', 'assignment_graded', 'attendance_met', 'completed'));

-- +goose Down
DELETE FROM progress_events WHERE kind = 'quiz_passed_revoked';
ALTER TABLE progress_events DROP CONSTRAINT progress_events_kind_check;
ALTER TABLE progress_events ADD CONSTRAINT progress_events_kind_check
    CHECK (kind IN ('viewed', 'video_watched', 'quiz_passed', 'assignment_graded', 'attendance_met', 'completed'));
