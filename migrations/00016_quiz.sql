-- +goose Up
-- Question banks: owned by an organisation and shared like courses
-- (national, listed, private). A bank's questions sit in categories and carry
-- competency tags; a question's content lives in versions, and a version that
-- an attempt used never changes: editing such a question makes a new version.
CREATE TABLE question_banks (
    id          uuid PRIMARY KEY,
    org_id      uuid        NOT NULL REFERENCES organizations (id),
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    sharing     text        NOT NULL DEFAULT 'private' CHECK (sharing IN ('national', 'listed', 'private')),
    created_by  uuid        NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX question_banks_org_list ON question_banks (org_id, name, id);

CREATE TABLE question_bank_shares (
    bank_id uuid NOT NULL REFERENCES question_banks (id) ON DELETE CASCADE,
    org_id  uuid NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (bank_id, org_id)
);
CREATE INDEX question_bank_shares_org ON question_bank_shares (org_id, bank_id);

CREATE TABLE question_categories (
    id         uuid PRIMARY KEY,
    bank_id    uuid        NOT NULL REFERENCES question_banks (id) ON DELETE CASCADE,
    parent_id  uuid REFERENCES question_categories (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT question_categories_name_key UNIQUE NULLS NOT DISTINCT (bank_id, parent_id, name)
);

CREATE TABLE questions (
    id              uuid PRIMARY KEY,
    bank_id         uuid        NOT NULL REFERENCES question_banks (id),
    category_id     uuid REFERENCES question_categories (id) ON DELETE SET NULL,
    name            text        NOT NULL,
    competency_tags text[]      NOT NULL DEFAULT '{}',
    current_version integer     NOT NULL DEFAULT 1 CHECK (current_version > 0),
    created_by      uuid        NOT NULL,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX questions_bank_list ON questions (bank_id, name, id) WHERE archived_at IS NULL;
CREATE INDEX questions_category ON questions (category_id) WHERE archived_at IS NULL;
CREATE INDEX questions_tags ON questions USING gin (competency_tags);

CREATE TABLE question_versions (
    id          uuid PRIMARY KEY,
    question_id uuid          NOT NULL REFERENCES questions (id),
    number      integer       NOT NULL CHECK (number > 0),
    type        text          NOT NULL CHECK (type IN ('single_choice', 'multiple_choice', 'true_false', 'short_answer',
                                  'numeric', 'matching', 'ordering', 'essay', 'description')),
    stem        text          NOT NULL,
    points      numeric(8, 3) NOT NULL CHECK (points >= 0),
    feedback    text          NOT NULL DEFAULT '',
    body        jsonb         NOT NULL DEFAULT '{}',
    created_by  uuid          NOT NULL,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT question_versions_number_key UNIQUE (question_id, number)
);

-- A quiz is the settings of a course item of kind 'quiz', keyed by the item:
-- its sections (fixed questions or random draws, as JSON read whole), shuffles,
-- time limit, attempts, grading method, pass mark and review options.
CREATE TABLE quizzes (
    item_id            uuid PRIMARY KEY REFERENCES course_items (id) ON DELETE CASCADE,
    version_id         uuid          NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    sections           jsonb         NOT NULL DEFAULT '[]',
    shuffle_questions  boolean       NOT NULL DEFAULT false,
    shuffle_options    boolean       NOT NULL DEFAULT true,
    time_limit_seconds integer       CHECK (time_limit_seconds > 0),
    attempts_allowed   integer       NOT NULL DEFAULT 1 CHECK (attempts_allowed >= 0),
    grading_method     text          NOT NULL DEFAULT 'highest' CHECK (grading_method IN ('highest', 'last', 'average')),
    pass_mark          numeric(5, 2) NOT NULL DEFAULT 0 CHECK (pass_mark BETWEEN 0 AND 100),
    review             jsonb         NOT NULL DEFAULT '{}',
    test_kind          text          NOT NULL DEFAULT 'none' CHECK (test_kind IN ('none', 'pre_test', 'post_test')),
    created_by         uuid          NOT NULL,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX quizzes_version ON quizzes (version_id);

-- What a class decides about a quiz of its version: the window and a time
-- limit of its own; and the extra attempts it grants a learner.
CREATE TABLE quiz_class_settings (
    class_id           uuid        NOT NULL,
    quiz_id            uuid        NOT NULL REFERENCES quizzes (item_id) ON DELETE CASCADE,
    opens_at           timestamptz,
    closes_at          timestamptz,
    time_limit_seconds integer CHECK (time_limit_seconds > 0),
    updated_by         uuid        NOT NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, quiz_id),
    CONSTRAINT quiz_class_settings_window CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at)
);

CREATE TABLE quiz_extra_attempts (
    class_id   uuid        NOT NULL,
    quiz_id    uuid        NOT NULL REFERENCES quizzes (item_id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL,
    extra      integer     NOT NULL CHECK (extra > 0),
    updated_by uuid        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (class_id, quiz_id, user_id)
);

-- An attempt: its layout is frozen at start (the slots with the question
-- versions and the option order it shows), its deadline is the server's.
-- state moves in_progress → submitted → graded | needs_grading → graded.
CREATE TABLE quiz_attempts (
    id          uuid PRIMARY KEY,
    quiz_id     uuid          NOT NULL REFERENCES quizzes (item_id),
    class_id    uuid          NOT NULL,
    user_id     uuid          NOT NULL,
    number      integer       NOT NULL CHECK (number > 0),
    state       text          NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress', 'submitted', 'graded', 'needs_grading')),
    started_at  timestamptz   NOT NULL,
    deadline    timestamptz,
    finished_at timestamptz,
    score       numeric(10, 3),
    max_score   numeric(10, 3) NOT NULL DEFAULT 0,
    passed      boolean,
    graded_at   timestamptz,
    -- when a grading job was last recorded, for the sweep that re-enqueues
    -- submitted attempts nobody graded
    grade_requested_at timestamptz,
    CONSTRAINT quiz_attempts_number_key UNIQUE (quiz_id, class_id, user_id, number),
    CONSTRAINT quiz_attempts_finished CHECK (state = 'in_progress' OR finished_at IS NOT NULL)
);
CREATE INDEX quiz_attempts_overdue ON quiz_attempts (deadline) WHERE state = 'in_progress';
CREATE INDEX quiz_attempts_ungraded ON quiz_attempts (grade_requested_at) WHERE state = 'submitted';
CREATE INDEX quiz_attempts_class ON quiz_attempts (class_id, quiz_id, id);

-- One question of an attempt. seq orders the learner's saves: a save
-- carries a higher seq than the one stored or changes nothing.
CREATE TABLE quiz_attempt_slots (
    attempt_id          uuid          NOT NULL REFERENCES quiz_attempts (id) ON DELETE CASCADE,
    slot                integer       NOT NULL CHECK (slot > 0),
    question_version_id uuid          NOT NULL REFERENCES question_versions (id),
    type                text          NOT NULL,
    points              numeric(8, 3) NOT NULL,
    option_order        text[]        NOT NULL DEFAULT '{}',
    response            jsonb,
    seq                 bigint        NOT NULL DEFAULT 0,
    saved_at            timestamptz,
    score               numeric(8, 3),
    graded_by           uuid,
    graded_at           timestamptz,
    comment             text          NOT NULL DEFAULT '',
    PRIMARY KEY (attempt_id, slot)
);
CREATE INDEX quiz_attempt_slots_version ON quiz_attempt_slots (question_version_id);

-- +goose Down
DROP TABLE quiz_attempt_slots;
DROP TABLE quiz_attempts;
DROP TABLE quiz_extra_attempts;
DROP TABLE quiz_class_settings;
DROP TABLE quizzes;
DROP TABLE question_versions;
DROP TABLE questions;
DROP TABLE question_categories;
DROP TABLE question_bank_shares;
DROP TABLE question_banks;
