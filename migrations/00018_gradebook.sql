-- +goose Up
-- The class gradebook (internal/gradebook). Grades arrive as events (a quiz
-- graded, an assignment graded, attendance changed) and are kept per learner
-- and item; each learner's row (final percent, pass/fail) is computed when a
-- grade, an override or the settings change, never when it is read.

-- gradebook_settings: one per class that was configured; a class without a
-- row uses the default rule (every graded item passed by its own rule).
CREATE TABLE gradebook_settings (
    class_id   uuid PRIMARY KEY REFERENCES classes (id),
    pass_mark  numeric(6, 3) NOT NULL CHECK (pass_mark >= 0 AND pass_mark <= 100),
    categories jsonb         NOT NULL,
    revision   integer       NOT NULL DEFAULT 1,
    updated_by uuid          NOT NULL,
    updated_at timestamptz   NOT NULL DEFAULT now()
);

-- gradebook_grades: the latest grade of a learner for an item, by the time
-- its source released it (an older event arriving late changes nothing).
-- item is a course item's id, or 'attendance'.
CREATE TABLE gradebook_grades (
    class_id    uuid          NOT NULL REFERENCES classes (id),
    user_id     uuid          NOT NULL,
    item        text          NOT NULL,
    kind        text          NOT NULL CHECK (kind IN ('quiz', 'assignment', 'attendance')),
    percent     numeric(7, 3) NOT NULL,
    passed      boolean       NOT NULL,
    released_at timestamptz   NOT NULL,
    PRIMARY KEY (class_id, user_id, item)
);

-- gradebook_overrides: an instructor's grade for a learner's item (or
-- 'final'), with the reason; audited.
CREATE TABLE gradebook_overrides (
    class_id   uuid          NOT NULL REFERENCES classes (id),
    user_id    uuid          NOT NULL,
    item       text          NOT NULL,
    percent    numeric(7, 3) NOT NULL CHECK (percent >= 0 AND percent <= 100),
    reason     text          NOT NULL CHECK (reason <> ''),
    set_by     uuid          NOT NULL,
    set_at     timestamptz   NOT NULL,
    PRIMARY KEY (class_id, user_id, item)
);

-- gradebook_rows: each learner's computed result, read by the views and
-- the export; announced as gradebook:result-changed when it changes. seq
-- counts the row's recomputes (they are serialised per learner), ordering
-- the announcements for their consumers.
CREATE TABLE gradebook_rows (
    class_id      uuid          NOT NULL REFERENCES classes (id),
    user_id       uuid          NOT NULL,
    final_percent numeric(7, 3),
    passed        boolean       NOT NULL,
    items         jsonb         NOT NULL,
    revision      integer       NOT NULL,
    seq           bigint        NOT NULL,
    computed_at   timestamptz   NOT NULL,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX gradebook_rows_passed ON gradebook_rows (class_id, passed, user_id);

-- enrolment_grade_results: delivery's copy of the gradebook's verdict on an
-- enrolment, which its completion rule reads for the graded items.
CREATE TABLE enrolment_grade_results (
    enrolment_id  uuid PRIMARY KEY REFERENCES enrolments (id),
    passed        boolean       NOT NULL,
    final_percent numeric(7, 3),
    revision      bigint        NOT NULL,
    updated_at    timestamptz   NOT NULL
);

-- Enrolments learning when the gradebook took over keep what the old rule
-- gave them: one whose every quiz and assignment was completed on its own
-- counts as passed by the gradebook (revision 0, so any result the
-- gradebook announces later replaces it).
INSERT INTO enrolment_grade_results (enrolment_id, passed, final_percent, revision, updated_at)
SELECT e.id, true, NULL, 0, now()
FROM enrolments e
JOIN classes c ON c.id = e.class_id
WHERE e.status = 'active'
  AND NOT EXISTS (
    SELECT 1 FROM course_items i
    WHERE i.version_id = c.version_id AND i.kind IN ('quiz', 'assignment') AND i.required
      AND NOT EXISTS (SELECT 1 FROM item_progress p WHERE p.enrolment_id = e.id AND p.item_id = i.id));

-- +goose Down
DROP TABLE enrolment_grade_results;
DROP TABLE gradebook_rows;
DROP TABLE gradebook_overrides;
DROP TABLE gradebook_grades;
DROP TABLE gradebook_settings;
