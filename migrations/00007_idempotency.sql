-- +goose Up
-- An idempotency key lets a client retry a POST that creates or submits
-- without doing it twice: the first request with a key claims it
-- ('in_progress'), and its answer is kept ('done') so a retry with the same
-- key and the same request gets the same answer again. Keys belong to the
-- signed-in user who sent them. A failed (5xx) request releases its key so
-- the client may retry; rows are purged once they expire.
CREATE TABLE idempotency_keys (
    user_id          uuid        NOT NULL,
    key              text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method           text        NOT NULL,
    path             text        NOT NULL,
    request_hash     bytea       NOT NULL, -- sha256 of the method, path and body
    status           text        NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'done')),
    response_status  int,
    response_headers jsonb,                -- Content-Type, Location and ETag only
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, key),
    CONSTRAINT idempotency_keys_done_has_response CHECK (
        status = 'in_progress' OR (response_status IS NOT NULL AND response_headers IS NOT NULL AND response_body IS NOT NULL))
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
