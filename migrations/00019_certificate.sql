-- +goose Up
-- Certificates: signed by the institute that ran the class with its Ed25519
-- key. Private keys are kept encrypted (AES-GCM under the configured master
-- key), or read from files (certificate.key_dir) with only the public half
-- here; a rotated key is retired, no longer signs, and still verifies.
CREATE TABLE certificate_keys (
    id              text PRIMARY KEY, -- the key ID (kid) derived from the public key
    org_id          uuid        NOT NULL REFERENCES organizations (id),
    public_key      bytea       NOT NULL,
    private_key_enc bytea,            -- NULL for a key read from a file (certificate.key_dir)
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz
);
CREATE UNIQUE INDEX certificate_keys_one_current ON certificate_keys (org_id) WHERE retired_at IS NULL;
CREATE INDEX certificate_keys_org ON certificate_keys (org_id, created_at);

-- Templates per institute; one with a course_id is that course's own (its
-- validity period and recertification pointer), the others the institute's.
CREATE TABLE certificate_templates (
    id                  uuid PRIMARY KEY,
    org_id              uuid        NOT NULL REFERENCES organizations (id),
    course_id           uuid,
    name                text        NOT NULL,
    orientation         text        NOT NULL CHECK (orientation IN ('landscape', 'portrait')),
    title_id            text        NOT NULL,
    title_en            text        NOT NULL,
    body_id             text        NOT NULL,
    body_en             text        NOT NULL,
    signatories         jsonb       NOT NULL DEFAULT '[]',
    background_file_id  uuid,
    logo_file_id        uuid,
    validity_months     integer     NOT NULL DEFAULT 0 CHECK (validity_months >= 0),
    recertification_url text        NOT NULL DEFAULT '',
    revision            integer     NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE INDEX certificate_templates_org ON certificate_templates (org_id, created_at, id) WHERE deleted_at IS NULL;

-- The last serial number given per institute and year.
CREATE TABLE certificate_serials (
    org_id uuid    NOT NULL REFERENCES organizations (id),
    year   integer NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (org_id, year)
);

CREATE TABLE certificates (
    id                uuid PRIMARY KEY,
    serial            text        NOT NULL,
    org_id            uuid        NOT NULL REFERENCES organizations (id),
    enrolment_id      uuid        NOT NULL,
    class_id          uuid        NOT NULL,
    course_id         uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    template_id       uuid,
    source            text        NOT NULL CHECK (source IN ('completion', 'bulk', 'manual', 'reissue')),
    reason            text        NOT NULL DEFAULT '',
    facts             text        NOT NULL, -- the canonical JSON that was signed, byte for byte
    key_id            text        NOT NULL REFERENCES certificate_keys (id),
    signature         text        NOT NULL, -- base64url Ed25519 signature of facts
    pdf_key           text        NOT NULL,
    pdf_sha256        text        NOT NULL,
    issued_by         uuid,
    issued_at         timestamptz NOT NULL,
    expires_at        timestamptz,
    revoked_at        timestamptz,
    revoked_by        uuid,
    revocation_reason text        NOT NULL DEFAULT '',
    replaces_id       uuid REFERENCES certificates (id),
    superseded_by     uuid REFERENCES certificates (id) DEFERRABLE INITIALLY DEFERRED,
    -- Expiry reminders, kept here so a lost delayed task loses nothing.
    reminded_at       timestamptz,
    CONSTRAINT certificates_serial_key UNIQUE (serial)
);
-- Exactly one live certificate per enrolment, whatever tasks repeat.
CREATE UNIQUE INDEX certificates_one_per_enrolment ON certificates (enrolment_id) WHERE superseded_by IS NULL;
CREATE INDEX certificates_user ON certificates (user_id, issued_at DESC, id);
CREATE INDEX certificates_class ON certificates (class_id);
CREATE INDEX certificates_expiring ON certificates (org_id, expires_at, id)
    WHERE revoked_at IS NULL AND superseded_by IS NULL AND expires_at IS NOT NULL;

-- The certificate sweep reads the completions of the last days (delivery's
-- CompletedSince); this keeps it off a scan of every enrolment.
CREATE INDEX enrolments_completed_recently ON enrolments (completed_at, id) WHERE status = 'completed';

-- +goose Down
DROP INDEX enrolments_completed_recently;
DROP TABLE certificates;
DROP TABLE certificate_serials;
DROP TABLE certificate_templates;
DROP TABLE certificate_keys;
