-- +goose Up
-- When the learner was told of a completion; the notice task checks and
-- sets it, so a redelivered task mails nobody twice.
ALTER TABLE enrolments ADD COLUMN completion_notified_at timestamptz;

-- +goose Down
ALTER TABLE enrolments DROP COLUMN completion_notified_at;
