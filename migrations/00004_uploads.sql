-- +goose Up
-- An upload is a file a client sends straight to the object store through a
-- presigned URL. It is 'pending' until the client completes it and the API
-- has checked its size, its type (sniffed from the bytes) and its sha256;
-- then it is 'completed' and other resources refer to it by id. Pending
-- uploads that are never completed are removed after a day.
CREATE TABLE uploads (
    id                    uuid PRIMARY KEY,
    owner_id              uuid        NOT NULL,
    org_id                uuid        NOT NULL REFERENCES organizations (id),
    purpose               text        NOT NULL,
    filename              text        NOT NULL,
    declared_content_type text        NOT NULL,
    declared_size         bigint      NOT NULL CHECK (declared_size > 0),
    object_key            text        NOT NULL,
    status                text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed')),
    size                  bigint,
    content_type          text,
    sha256                text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz,
    CONSTRAINT uploads_object_key_key UNIQUE (object_key),
    CONSTRAINT uploads_completed_has_facts CHECK (
        status = 'pending' OR (size IS NOT NULL AND content_type IS NOT NULL AND sha256 IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX uploads_owner ON uploads (owner_id, id);
CREATE INDEX uploads_org ON uploads (org_id);
CREATE INDEX uploads_pending ON uploads (created_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE uploads;
