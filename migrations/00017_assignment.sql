-- +goose Up
-- Rubrics belong to an organisation and are reused by its assignments:
-- criteria with levels and points, as JSON read whole. revision is the ETag.
CREATE TABLE rubrics (
    id         uuid PRIMARY KEY,
    org_id     uuid        NOT NULL REFERENCES organizations (id),
    name       text        NOT NULL,
    criteria   jsonb       NOT NULL DEFAULT '[]',
    revision   integer     NOT NULL DEFAULT 1,
    created_by uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rubrics_org_list ON rubrics (org_id, name, id);

-- An assignment is the settings of a course item of kind 'assignment', keyed
-- by the item as a quiz is: what learners hand in and how it is graded.
CREATE TABLE assignments (
    item_id               uuid PRIMARY KEY REFERENCES course_items (id) ON DELETE CASCADE,
    version_id            uuid          NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    instructions          text          NOT NULL DEFAULT '',
    mode                  text          NOT NULL DEFAULT 'individual' CHECK (mode IN ('individual', 'group')),
    file_types            text[]        NOT NULL DEFAULT '{}',
    max_file_size         bigint        NOT NULL CHECK (max_file_size > 0),
    max_files             integer       NOT NULL CHECK (max_files >= 0),
    allow_text            boolean       NOT NULL DEFAULT false,
    allow_links           boolean       NOT NULL DEFAULT false,
    max_points            numeric(8, 3) NOT NULL CHECK (max_points > 0),
    rubric_id             uuid REFERENCES rubrics (id),
    blind                 boolean       NOT NULL DEFAULT false,
    peer_reviewers        integer       NOT NULL DEFAULT 0 CHECK (peer_reviewers >= 0),
    peer_weight           numeric(5, 2) NOT NULL DEFAULT 0 CHECK (peer_weight BETWEEN 0 AND 100),
    peer_deadline_seconds integer       NOT NULL DEFAULT 0 CHECK (peer_deadline_seconds >= 0),
    created_by            uuid          NOT NULL,
    created_at            timestamptz   NOT NULL DEFAULT now(),
    updated_at            timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX assignments_version ON assignments (version_id);

-- What a class decides about an assignment: the due date, the cut-off and
-- the late policy; and the later dates granted to single learners.
CREATE TABLE assignment_class_settings (
    class_id         uuid          NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    assignment_id    uuid          NOT NULL REFERENCES assignments (item_id) ON DELETE CASCADE,
    due_at           timestamptz,
    cutoff_at        timestamptz,
    late_policy      text          NOT NULL DEFAULT 'flag' CHECK (late_policy IN ('penalty', 'flag', 'refuse')),
    penalty_per_day  numeric(5, 2) NOT NULL DEFAULT 0 CHECK (penalty_per_day BETWEEN 0 AND 100),
    updated_by       uuid          NOT NULL,
    updated_at       timestamptz   NOT NULL,
    PRIMARY KEY (class_id, assignment_id)
);

CREATE TABLE assignment_extensions (
    class_id      uuid        NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    assignment_id uuid        NOT NULL REFERENCES assignments (item_id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL,
    due_at        timestamptz NOT NULL,
    granted_by    uuid        NOT NULL,
    granted_at    timestamptz NOT NULL,
    PRIMARY KEY (class_id, assignment_id, user_id)
);

-- Groups of a class: formed by its staff, or open to self-sign-up up to
-- max_size. A learner is in at most one group of a class.
CREATE TABLE assignment_groups (
    id          uuid PRIMARY KEY,
    class_id    uuid        NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    self_signup boolean     NOT NULL DEFAULT false,
    max_size    integer     NOT NULL CHECK (max_size > 0),
    created_by  uuid        NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT assignment_groups_name_key UNIQUE (class_id, name)
);

CREATE TABLE assignment_group_members (
    group_id  uuid        NOT NULL REFERENCES assignment_groups (id) ON DELETE CASCADE,
    class_id  uuid        NOT NULL,
    user_id   uuid        NOT NULL,
    joined_at timestamptz NOT NULL,
    PRIMARY KEY (group_id, user_id),
    CONSTRAINT assignment_group_members_one_group UNIQUE (class_id, user_id)
);

-- Every submit is a new version, never changed: owner_id is the learner, or
-- the group of a group assignment; submitted_at is the server's clock.
CREATE TABLE assignment_submissions (
    id              uuid PRIMARY KEY,
    assignment_id   uuid          NOT NULL REFERENCES assignments (item_id) ON DELETE CASCADE,
    class_id        uuid          NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    owner_id        uuid          NOT NULL,
    group_id        uuid REFERENCES assignment_groups (id),
    submitted_by    uuid          NOT NULL,
    number          integer       NOT NULL CHECK (number > 0),
    text            text          NOT NULL DEFAULT '',
    links           text[]        NOT NULL DEFAULT '{}',
    submitted_at    timestamptz   NOT NULL,
    days_late       integer       NOT NULL DEFAULT 0 CHECK (days_late >= 0),
    penalty_percent numeric(5, 2) NOT NULL DEFAULT 0,
    idempotency_key text,
    CONSTRAINT assignment_submissions_number_key UNIQUE (assignment_id, class_id, owner_id, number),
    CONSTRAINT assignment_submissions_key_key UNIQUE (assignment_id, class_id, owner_id, idempotency_key)
);
CREATE INDEX assignment_submissions_list ON assignment_submissions (class_id, assignment_id, owner_id, number DESC);

CREATE TABLE assignment_submission_files (
    submission_id uuid    NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    position      integer NOT NULL,
    file_id       uuid    NOT NULL,
    filename      text    NOT NULL,
    content_type  text    NOT NULL,
    size          bigint  NOT NULL,
    sha256        text    NOT NULL,
    PRIMARY KEY (submission_id, position)
);
CREATE INDEX assignment_submission_files_sha ON assignment_submission_files (sha256);

-- Grades of a submission version: the first grader's, a second grader's for
-- moderation, and the agreed one; each role at most once, changed in place.
-- points are raw (before peer weight and late penalty), out of the
-- assignment's max_points.
CREATE TABLE assignment_grades (
    submission_id     uuid          NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    role              text          NOT NULL CHECK (role IN ('first', 'second', 'agreed')),
    grader_id         uuid          NOT NULL,
    points            numeric(8, 3) NOT NULL CHECK (points >= 0),
    levels            jsonb         NOT NULL DEFAULT '{}',
    feedback          text          NOT NULL DEFAULT '',
    feedback_file_ids uuid[]        NOT NULL DEFAULT '{}',
    graded_at         timestamptz   NOT NULL,
    PRIMARY KEY (submission_id, role)
);

-- What a learner or group has been given: the final points of the graded
-- version once released, kept so a change can be told from a repeat.
CREATE TABLE assignment_results (
    class_id      uuid          NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    assignment_id uuid          NOT NULL REFERENCES assignments (item_id) ON DELETE CASCADE,
    owner_id      uuid          NOT NULL,
    submission_id uuid          NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    points        numeric(8, 3) NOT NULL,
    max_points    numeric(8, 3) NOT NULL,
    released_at   timestamptz   NOT NULL,
    PRIMARY KEY (class_id, assignment_id, owner_id)
);

-- Peer review: reviewers allocated once per class and assignment after the
-- due date, each reviewing a submission version by the rubric before due_at.
CREATE TABLE assignment_peer_allocations (
    class_id      uuid        NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    assignment_id uuid        NOT NULL REFERENCES assignments (item_id) ON DELETE CASCADE,
    allocated_at  timestamptz NOT NULL,
    PRIMARY KEY (class_id, assignment_id)
);

CREATE TABLE assignment_peer_reviews (
    id            uuid PRIMARY KEY,
    class_id      uuid          NOT NULL,
    assignment_id uuid          NOT NULL,
    submission_id uuid          NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    reviewer_id   uuid          NOT NULL,
    due_at        timestamptz   NOT NULL,
    levels        jsonb,
    points        numeric(8, 3),
    comment       text          NOT NULL DEFAULT '',
    submitted_at  timestamptz,
    CONSTRAINT assignment_peer_reviews_pair_key UNIQUE (submission_id, reviewer_id)
);
CREATE INDEX assignment_peer_reviews_reviewer ON assignment_peer_reviews (class_id, assignment_id, reviewer_id);

-- What the worker found after a submit for the graders to look at: a file
-- identical (sha256) to one of another learner's submission, or text nearly
-- the same (shingled Jaccard similarity).
CREATE TABLE assignment_similarity_flags (
    submission_id       uuid         NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    other_submission_id uuid         NOT NULL REFERENCES assignment_submissions (id) ON DELETE CASCADE,
    kind                text         NOT NULL CHECK (kind IN ('exact_file', 'near_text')),
    score               numeric(4, 3) NOT NULL,
    found_at            timestamptz  NOT NULL,
    PRIMARY KEY (submission_id, other_submission_id, kind)
);

-- +goose Down
DROP TABLE assignment_similarity_flags;
DROP TABLE assignment_peer_reviews;
DROP TABLE assignment_peer_allocations;
DROP TABLE assignment_results;
DROP TABLE assignment_grades;
DROP TABLE assignment_submission_files;
DROP TABLE assignment_submissions;
DROP TABLE assignment_group_members;
DROP TABLE assignment_groups;
DROP TABLE assignment_extensions;
DROP TABLE assignment_class_settings;
DROP TABLE assignments;
DROP TABLE rubrics;
