-- +goose Up
-- Delivery: classes (cohorts) of a published course version, their sessions
-- and attendance, enrolments, progress, completion and the JP ledger.
--
-- Ids of other domains (course versions, courses, learning paths, users,
-- organisations) are kept without foreign keys, as audit_log and jobs keep
-- theirs: delivery reaches those domains through their services only.

-- A class is one run of a published course version by an institute (org_id).
-- jp_credit is the version's JP, copied when the class is opened: a published
-- version never changes, and completion credits it without asking the catalogue.
CREATE TABLE classes (
    id                   uuid PRIMARY KEY,
    version_id           uuid          NOT NULL,
    course_id            uuid          NOT NULL,
    org_id               uuid          NOT NULL,
    code                 text          NOT NULL,
    title                text          NOT NULL,
    starts_on            date          NOT NULL,
    ends_on              date          NOT NULL,
    enrol_opens_at       timestamptz,
    enrol_closes_at      timestamptz,
    capacity             integer       NOT NULL CHECK (capacity > 0),
    waitlist             boolean       NOT NULL DEFAULT false,
    policy               text          NOT NULL CHECK (policy IN ('open', 'approval', 'assigned')),
    region_code          text,
    attendance_threshold numeric(3, 2) NOT NULL DEFAULT 0.8 CHECK (attendance_threshold BETWEEN 0 AND 1),
    jp_credit            numeric(8, 2) NOT NULL DEFAULT 0 CHECK (jp_credit >= 0),
    status               text          NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'running', 'closed', 'cancelled')),
    created_by           uuid,
    created_at           timestamptz   NOT NULL DEFAULT now(),
    updated_at           timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT classes_org_code_key UNIQUE (org_id, code),
    CONSTRAINT classes_dates CHECK (ends_on >= starts_on),
    CONSTRAINT classes_enrol_window CHECK (enrol_opens_at IS NULL OR enrol_closes_at IS NULL OR enrol_closes_at > enrol_opens_at)
);
CREATE INDEX classes_version ON classes (version_id);
CREATE INDEX classes_course ON classes (course_id, starts_on, id);
CREATE INDEX classes_org ON classes (org_id, starts_on, id);
CREATE INDEX classes_listing ON classes (starts_on, id);

CREATE TABLE class_staff (
    class_id uuid NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL,
    role     text NOT NULL CHECK (role IN ('instructor', 'mentor')),
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_staff_user ON class_staff (user_id);

-- A session is a scheduled meeting (in person, virtual) or a self-paced
-- window. secret keys the rotating check-in codes and never leaves the server.
CREATE TABLE sessions (
    id          uuid PRIMARY KEY,
    class_id    uuid        NOT NULL REFERENCES classes (id),
    kind        text        NOT NULL CHECK (kind IN ('in_person', 'virtual', 'self_paced')),
    title       text        NOT NULL,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    venue       text,
    address     text,
    meeting_url text,
    secret      bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sessions_time CHECK (ends_at > starts_at),
    CONSTRAINT sessions_meeting_url_https CHECK (meeting_url IS NULL OR meeting_url LIKE 'https://%')
);
CREATE INDEX sessions_class ON sessions (class_id, starts_at, id);
-- Clash detection asks "which sessions overlap this time range" (&&).
CREATE INDEX sessions_during ON sessions USING gist (tstzrange(starts_at, ends_at));

CREATE TABLE attendance (
    session_id  uuid        NOT NULL REFERENCES sessions (id),
    user_id     uuid        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('present', 'absent', 'excused')),
    method      text        NOT NULL CHECK (method IN ('roll_call', 'check_in')),
    recorded_by uuid,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX attendance_user ON attendance (user_id);

-- A learner's journey through a learning path; each step that is open to
-- them has a row in path_enrolment_steps (a missing row means still locked).
CREATE TABLE path_enrolments (
    id               uuid PRIMARY KEY,
    path_id          uuid        NOT NULL,
    user_id          uuid        NOT NULL,
    status           text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed')),
    current_position integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    CONSTRAINT path_enrolments_path_user_key UNIQUE (path_id, user_id)
);
CREATE INDEX path_enrolments_user ON path_enrolments (user_id) WHERE status = 'active';

-- An enrolment of a learner in a class. One live enrolment per learner and
-- class: withdrawn and rejected ones stay as history and do not count.
CREATE TABLE enrolments (
    id                uuid PRIMARY KEY,
    class_id          uuid          NOT NULL REFERENCES classes (id),
    user_id           uuid          NOT NULL,
    status            text          NOT NULL CHECK (status IN ('pending_approval', 'waitlisted', 'active', 'withdrawn', 'completed', 'rejected')),
    source            text          NOT NULL CHECK (source IN ('self', 'assigned', 'path')),
    assigned_by       uuid,
    decided_by        uuid,
    decided_at        timestamptz,
    path_enrolment_id uuid REFERENCES path_enrolments (id),
    progress          numeric(5, 4) NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    enrolled_at       timestamptz   NOT NULL DEFAULT now(),
    activated_at      timestamptz,
    completed_at      timestamptz,
    withdrawn_at      timestamptz,
    updated_at        timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT enrolments_completed_at CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE UNIQUE INDEX enrolments_live_key ON enrolments (class_id, user_id) WHERE status NOT IN ('withdrawn', 'rejected');
CREATE INDEX enrolments_class_status ON enrolments (class_id, status, enrolled_at, id);
CREATE INDEX enrolments_user ON enrolments (user_id, id);

CREATE TABLE path_enrolment_steps (
    path_enrolment_id uuid        NOT NULL REFERENCES path_enrolments (id),
    course_id         uuid        NOT NULL,
    position          integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('unlocked', 'enrolled', 'completed')),
    enrolment_id      uuid REFERENCES enrolments (id),
    unlocked_at       timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    PRIMARY KEY (path_enrolment_id, course_id)
);
CREATE INDEX path_enrolment_steps_course ON path_enrolment_steps (course_id) WHERE status <> 'completed';

-- Progress events are idempotent per enrolment, item and kind: a replay
-- changes nothing, a better video ratio raises the stored value.
CREATE TABLE progress_events (
    id           uuid PRIMARY KEY,
    enrolment_id uuid        NOT NULL REFERENCES enrolments (id),
    item_id      uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('viewed', 'video_watched', 'quiz_passed', 'assignment_graded', 'attendance_met', 'completed')),
    value        numeric(5, 4),
    at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT progress_events_once UNIQUE (enrolment_id, item_id, kind)
);

CREATE TABLE item_progress (
    enrolment_id uuid        NOT NULL REFERENCES enrolments (id),
    item_id      uuid        NOT NULL,
    completed_at timestamptz NOT NULL,
    PRIMARY KEY (enrolment_id, item_id)
);

-- The JP ledger holds each learner's training hours per year, credited once
-- per completed enrolment (jp_credits makes the credit exactly-once).
CREATE TABLE jp_ledger (
    user_id    uuid          NOT NULL,
    year       integer       NOT NULL,
    jp         numeric(10, 2) NOT NULL DEFAULT 0,
    updated_at timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, year)
);

CREATE TABLE jp_credits (
    enrolment_id uuid          PRIMARY KEY REFERENCES enrolments (id),
    user_id      uuid          NOT NULL,
    class_id     uuid          NOT NULL,
    version_id   uuid          NOT NULL,
    year         integer       NOT NULL,
    jp           numeric(8, 2) NOT NULL,
    credited_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX jp_credits_user_year ON jp_credits (user_id, year);

-- +goose Down
DROP TABLE jp_credits;
DROP TABLE jp_ledger;
DROP TABLE item_progress;
DROP TABLE progress_events;
DROP TABLE path_enrolment_steps;
DROP TABLE enrolments;
DROP TABLE path_enrolments;
DROP TABLE attendance;
DROP TABLE sessions;
DROP TABLE class_staff;
DROP TABLE classes;
