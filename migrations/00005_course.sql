-- +goose Up
-- Courses and their versions. A course belongs to an organisation and carries
-- what does not change between editions (code, sharing); its content lives in
-- versions. A published version never changes: edits go to a new draft, and
-- classes pin the version they run. At most one version per course is open
-- (draft, in review or changes requested) at a time.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE courses (
    id                           uuid PRIMARY KEY,
    org_id                       uuid        NOT NULL REFERENCES organizations (id),
    code                         text        NOT NULL,
    sharing                      text        NOT NULL DEFAULT 'private' CHECK (sharing IN ('national', 'listed', 'private')),
    current_published_version_id uuid,
    created_by                   uuid        NOT NULL,
    archived_at                  timestamptz,
    archived_by                  uuid,
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT courses_org_code_key UNIQUE (org_id, code)
);
CREATE INDEX courses_org_list ON courses (org_id, code, id);

-- The organisations a course with sharing 'listed' is shared with: people
-- whose home organisation lies in one of their subtrees see it.
CREATE TABLE course_shares (
    course_id uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    org_id    uuid NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (course_id, org_id)
);
CREATE INDEX course_shares_org ON course_shares (org_id, course_id);

CREATE TABLE course_versions (
    id              uuid PRIMARY KEY,
    course_id       uuid        NOT NULL REFERENCES courses (id),
    number          integer     NOT NULL CHECK (number > 0),
    status          text        NOT NULL CHECK (status IN ('draft', 'in_review', 'changes_requested', 'published', 'archived')),
    title           text        NOT NULL,
    summary         text        NOT NULL DEFAULT '',
    language        text        NOT NULL CHECK (language IN ('id', 'en')),
    objectives      text[]      NOT NULL DEFAULT '{}',
    competency_tags text[]      NOT NULL DEFAULT '{}',
    tags            text[]      NOT NULL DEFAULT '{}',
    delivery_mode   text        NOT NULL CHECK (delivery_mode IN ('online', 'blended', 'classroom')),
    jp_credit       numeric(6, 2) CHECK (jp_credit > 0),
    level           text        NOT NULL CHECK (level IN ('basic', 'intermediate', 'advanced')),
    cover_file_id   uuid,
    lock_version    integer     NOT NULL DEFAULT 1,
    created_by      uuid        NOT NULL,
    submitted_at    timestamptz,
    submitted_by    uuid,
    published_at    timestamptz,
    published_by    uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_versions_number_key UNIQUE (course_id, number),
    CONSTRAINT course_versions_reviewable CHECK (
        status IN ('draft', 'changes_requested') OR (jp_credit IS NOT NULL AND cardinality(objectives) > 0)),
    CONSTRAINT course_versions_published_facts CHECK (
        status NOT IN ('published', 'archived') OR (published_at IS NOT NULL AND published_by IS NOT NULL))
);
CREATE UNIQUE INDEX course_versions_one_open ON course_versions (course_id)
    WHERE status IN ('draft', 'in_review', 'changes_requested');
ALTER TABLE courses ADD CONSTRAINT courses_current_published_version_fk
    FOREIGN KEY (current_published_version_id) REFERENCES course_versions (id);

-- The curriculum of a version: modules, lessons and content items, ordered by
-- position within their parent. Positions are unique per parent, checked at
-- commit so that a reorder may swap them.
CREATE TABLE course_modules (
    id         uuid PRIMARY KEY,
    version_id uuid        NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    position   integer     NOT NULL CHECK (position > 0),
    title      text        NOT NULL,
    summary    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_modules_position_key UNIQUE (version_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE course_lessons (
    id         uuid PRIMARY KEY,
    module_id  uuid        NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    version_id uuid        NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    position   integer     NOT NULL CHECK (position > 0),
    title      text        NOT NULL,
    summary    text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_lessons_position_key UNIQUE (module_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX course_lessons_version ON course_lessons (version_id);

-- A content item. Release rules: the item opens after release_at and/or once
-- the learner completed release_after_item_id, an item of the same version.
-- Text items hold HTML sanitized on write.
CREATE TABLE course_items (
    id                    uuid PRIMARY KEY,
    lesson_id             uuid        NOT NULL REFERENCES course_lessons (id) ON DELETE CASCADE,
    version_id            uuid        NOT NULL REFERENCES course_versions (id) ON DELETE CASCADE,
    position              integer     NOT NULL CHECK (position > 0),
    kind                  text        NOT NULL CHECK (kind IN ('video', 'document', 'text', 'link', 'live_session', 'quiz', 'assignment', 'survey')),
    title                 text        NOT NULL,
    required              boolean     NOT NULL DEFAULT true,
    estimated_minutes     integer     NOT NULL DEFAULT 0 CHECK (estimated_minutes >= 0),
    body                  text        NOT NULL DEFAULT '',
    url                   text,
    file_id               uuid,
    ref_id                uuid,
    release_at            timestamptz,
    release_after_item_id uuid REFERENCES course_items (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_items_position_key UNIQUE (lesson_id, position) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT course_items_link_has_url CHECK (kind <> 'link' OR url IS NOT NULL),
    CONSTRAINT course_items_media_has_file CHECK (kind NOT IN ('video', 'document') OR file_id IS NOT NULL),
    CONSTRAINT course_items_not_after_itself CHECK (release_after_item_id <> id)
);
CREATE INDEX course_items_version ON course_items (version_id);
CREATE INDEX course_items_release_after ON course_items (release_after_item_id) WHERE release_after_item_id IS NOT NULL;

-- Every review decision is kept: who, the checklist, the comments.
CREATE TABLE course_reviews (
    id          uuid PRIMARY KEY,
    version_id  uuid        NOT NULL REFERENCES course_versions (id),
    reviewer_id uuid        NOT NULL,
    decision    text        NOT NULL CHECK (decision IN ('approve', 'request_changes')),
    checklist   jsonb       NOT NULL,
    comments    text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX course_reviews_version ON course_reviews (version_id, created_at);

-- The catalogue: one row per course with a current published version that is
-- not archived, denormalised from the course and that version so that a
-- search over the whole country reads no other table. title_key (the lower-case
-- title, byte order) is the sort key of the catalogue's pages; title and
-- objectives carry trigram indexes for similar-programme detection.
CREATE TABLE course_catalogue (
    course_id       uuid PRIMARY KEY REFERENCES courses (id) ON DELETE CASCADE,
    version_id      uuid          NOT NULL REFERENCES course_versions (id),
    org_id          uuid          NOT NULL,
    sharing         text          NOT NULL,
    code            text          NOT NULL,
    title           text          NOT NULL,
    title_key       text COLLATE "C" NOT NULL,
    summary         text          NOT NULL,
    language        text          NOT NULL,
    delivery_mode   text          NOT NULL,
    level           text          NOT NULL,
    jp_credit       numeric(6, 2) NOT NULL,
    tags            text[]        NOT NULL,
    competency_tags text[]        NOT NULL,
    objectives_text text          NOT NULL,
    cover_file_id   uuid,
    published_at    timestamptz   NOT NULL
);
CREATE INDEX course_catalogue_title_order ON course_catalogue (title_key, course_id);
CREATE INDEX course_catalogue_published_order ON course_catalogue (published_at, course_id);
CREATE INDEX course_catalogue_title_trgm ON course_catalogue USING gin (title gin_trgm_ops);
CREATE INDEX course_catalogue_objectives_trgm ON course_catalogue USING gin (objectives_text gin_trgm_ops);
CREATE INDEX course_catalogue_competency ON course_catalogue USING gin (competency_tags);

-- The catalogue's search terms, one row per course and term: 'w:<word>' for
-- each word of the code, title and tags, 't:<tag>', 'c:<competency tag>' and
-- 'o:<owning organisation>'. Each row carries what the catalogue filters and
-- sorts by, so a search reads one range of the primary key in title order
-- (index-only) and stops after a page, instead of visiting every match.
CREATE TABLE course_catalogue_terms (
    term          text COLLATE "C" NOT NULL,
    title_key     text COLLATE "C" NOT NULL,
    course_id     uuid        NOT NULL REFERENCES course_catalogue (course_id) ON DELETE CASCADE,
    published_at  timestamptz NOT NULL,
    org_id        uuid        NOT NULL,
    sharing       text        NOT NULL,
    delivery_mode text        NOT NULL,
    level         text        NOT NULL,
    language      text        NOT NULL,
    CONSTRAINT course_catalogue_terms_pkey PRIMARY KEY (term, title_key, course_id)
        INCLUDE (published_at, org_id, sharing, delivery_mode, level, language)
);
CREATE INDEX course_catalogue_terms_course ON course_catalogue_terms (course_id, term);

-- Learning paths: ordered courses, each with the courses of earlier steps to
-- complete first.
CREATE TABLE learning_paths (
    id          uuid PRIMARY KEY,
    org_id      uuid        NOT NULL REFERENCES organizations (id),
    code        text        NOT NULL,
    title       text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    sharing     text        NOT NULL DEFAULT 'private' CHECK (sharing IN ('national', 'listed', 'private')),
    created_by  uuid        NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT learning_paths_org_code_key UNIQUE (org_id, code)
);
CREATE INDEX learning_paths_title ON learning_paths (lower(title), id) WHERE archived_at IS NULL;

CREATE TABLE learning_path_shares (
    path_id uuid NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    org_id  uuid NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (path_id, org_id)
);
CREATE INDEX learning_path_shares_org ON learning_path_shares (org_id, path_id);

CREATE TABLE learning_path_courses (
    path_id                 uuid    NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    course_id               uuid    NOT NULL REFERENCES courses (id),
    position                integer NOT NULL CHECK (position > 0),
    prerequisite_course_ids uuid[]  NOT NULL DEFAULT '{}',
    PRIMARY KEY (path_id, course_id),
    CONSTRAINT learning_path_courses_position_key UNIQUE (path_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX learning_path_courses_course ON learning_path_courses (course_id);

-- +goose Down
DROP TABLE learning_path_courses;
DROP TABLE learning_path_shares;
DROP TABLE learning_paths;
DROP TABLE course_catalogue_terms;
DROP TABLE course_catalogue;
DROP TABLE course_reviews;
DROP TABLE course_items;
DROP TABLE course_lessons;
DROP TABLE course_modules;
ALTER TABLE courses DROP CONSTRAINT courses_current_published_version_fk;
DROP TABLE course_versions;
DROP TABLE course_shares;
DROP TABLE courses;
