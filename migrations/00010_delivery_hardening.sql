-- +goose Up
-- Who wrote each course version: its creator and everyone who changed it.
-- A reviewer may not review a version they wrote (four eyes).
CREATE TABLE course_version_editors (
    version_id uuid NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL,
    PRIMARY KEY (version_id, user_id)
);
INSERT INTO course_version_editors (version_id, user_id)
SELECT id, created_by FROM course_versions ON CONFLICT DO NOTHING;

-- One JP credit per person and course version, however many classes of it
-- they complete. Credits given twice before this rule are taken back from
-- the ledger, keeping the first.
WITH extra AS (
    SELECT enrolment_id FROM (
        SELECT enrolment_id, row_number() OVER (PARTITION BY user_id, version_id ORDER BY credited_at, enrolment_id) AS n
        FROM jp_credits) c
    WHERE n > 1),
gone AS (
    DELETE FROM jp_credits c USING extra WHERE c.enrolment_id = extra.enrolment_id
    RETURNING c.user_id, c.year, c.jp)
UPDATE jp_ledger l SET jp = l.jp - g.jp, updated_at = now()
FROM (SELECT user_id, year, sum(jp) AS jp FROM gone GROUP BY user_id, year) g
WHERE l.user_id = g.user_id AND l.year = g.year;
ALTER TABLE jp_credits ADD CONSTRAINT jp_credits_once_per_version UNIQUE (user_id, version_id);

-- Wrong check-in codes, counted per person and session (user_id) and per
-- session overall (user_id is the nil uuid) in a fixed window, so that the
-- six-digit codes cannot be guessed. The counter lives in Postgres: it
-- survives restarts and never fails open.
CREATE TABLE check_in_throttle (
    session_id   uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id      uuid        NOT NULL,
    window_start timestamptz NOT NULL,
    attempts     integer     NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

-- +goose Down
DROP TABLE check_in_throttle;
ALTER TABLE jp_credits DROP CONSTRAINT jp_credits_once_per_version;
DROP TABLE course_version_editors;
