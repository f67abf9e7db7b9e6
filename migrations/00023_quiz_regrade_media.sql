-- +goose Up
-- A key fix corrects a used question version in place: what learners saw
-- (stem, options, prompts, unit names, points) stays, the key changes and
-- key_revision counts the corrections, so that a process holding the
-- version's content in memory knows to read it again before it grades.
-- media lists the uploaded files (purpose question_media) a stem shows:
-- [{"file_id", "content_type"}], in the stem's order.
ALTER TABLE question_versions
    ADD COLUMN key_revision integer NOT NULL DEFAULT 1 CHECK (key_revision > 0),
    ADD COLUMN media        jsonb   NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE question_versions DROP COLUMN media, DROP COLUMN key_revision;
