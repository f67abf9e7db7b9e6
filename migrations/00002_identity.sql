-- +goose Up
-- Organisations form one tree for the whole government. path is the
-- materialized path "/<root id>/…/<own id>/": a subtree is every row whose
-- path starts with its root's path, which an index on path answers.
CREATE TABLE organizations (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES organizations (id),
    path        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('ministry', 'agency', 'province', 'regency', 'work_unit', 'training_institute', 'partner')),
    code        text NOT NULL,
    name        text NOT NULL,
    region_code text,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_code_key UNIQUE (code),
    CONSTRAINT organizations_path_key UNIQUE (path),
    CONSTRAINT organizations_root_has_no_parent CHECK ((parent_id IS NULL) = (path = '/' || id::text || '/'))
);
CREATE INDEX organizations_path_prefix ON organizations (path text_pattern_ops);
CREATE INDEX organizations_parent ON organizations (parent_id);

-- A civil servant has one account for life; transfers move it between
-- organisations and keep their history in user_transfers.
CREATE TABLE users (
    id                uuid PRIMARY KEY,
    nip               text,
    national_id       text,
    name              text NOT NULL,
    email             text NOT NULL,
    email_verified_at timestamptz,
    phone             text,
    position_title    text,
    position_type     text CHECK (position_type IN ('structural', 'functional', 'executor')),
    functional_post   text,
    grade             text,
    org_id            uuid NOT NULL REFERENCES organizations (id),
    work_unit_id      uuid REFERENCES organizations (id),
    supervisor_id     uuid REFERENCES users (id),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'retired')),
    password_hash     text,
    failed_logins     integer NOT NULL DEFAULT 0,
    locked_until      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_nip_format CHECK (nip ~ '^[0-9]{18}$')
);
CREATE UNIQUE INDEX users_nip_key ON users (nip);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_org ON users (org_id, id);
CREATE INDEX users_name_search ON users (lower(name) text_pattern_ops);

CREATE TABLE user_transfers (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id),
    from_org_id       uuid NOT NULL REFERENCES organizations (id),
    to_org_id         uuid NOT NULL REFERENCES organizations (id),
    from_work_unit_id uuid REFERENCES organizations (id),
    to_work_unit_id   uuid REFERENCES organizations (id),
    reason            text NOT NULL DEFAULT '',
    effective_at      timestamptz NOT NULL,
    created_by        uuid REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_transfers_user ON user_transfers (user_id, effective_at);

CREATE TABLE role_grants (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('platform_admin', 'org_admin', 'instructor', 'reviewer', 'mentor', 'supervisor', 'registrar', 'learner')),
    org_id     uuid NOT NULL REFERENCES organizations (id),
    granted_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT role_grants_unique UNIQUE (user_id, role, org_id)
);
CREATE INDEX role_grants_org ON role_grants (org_id);

-- Refresh tokens rotate: each use marks the token used and issues the next of
-- the same family. Presenting a used token again means it was stolen, and
-- the whole family is revoked.
CREATE TABLE refresh_tokens (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    token_hash  bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    user_agent  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    token_hash   bytea NOT NULL,
    scopes       text[] NOT NULL,
    expires_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT api_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Single-use, expiring tokens mailed for e-mail verification and password reset.
CREATE TABLE one_time_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT one_time_tokens_hash_key UNIQUE (token_hash)
);

-- +goose Down
DROP TABLE one_time_tokens;
DROP TABLE api_tokens;
DROP TABLE refresh_tokens;
DROP TABLE role_grants;
DROP TABLE user_transfers;
DROP TABLE users;
DROP TABLE organizations;
