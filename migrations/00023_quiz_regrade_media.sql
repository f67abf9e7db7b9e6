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

-- An attempt's slots are written once at start and then updated by every
-- save (response, seq, saved_at: no indexed column). With room left on each
-- page the update stays on the page (a HOT update) and touches no index;
-- on full pages (fillfactor 100) the first save of every slot wrote a new
-- tuple elsewhere and an entry in both of the table's indexes.
ALTER TABLE quiz_attempt_slots SET (fillfactor = 70);

-- +goose Down
ALTER TABLE quiz_attempt_slots RESET (fillfactor);
ALTER TABLE question_versions DROP COLUMN media, DROP COLUMN key_revision;
