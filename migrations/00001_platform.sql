-- +goose Up
-- The transactional outbox: a job that must not be lost is written here in
-- the same transaction as the change that causes it, then relayed to Asynq
-- with the row id as the Asynq task id so a second relay never duplicates it.
CREATE TABLE outbox (
    id          uuid PRIMARY KEY,
    task_type   text        NOT NULL,
    payload     bytea       NOT NULL,
    queue       text        NOT NULL,
    max_retry   integer     NOT NULL DEFAULT 25,
    process_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    relayed_at  timestamptz,
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX outbox_pending ON outbox (created_at) WHERE relayed_at IS NULL;

-- +goose Down
DROP TABLE outbox;
