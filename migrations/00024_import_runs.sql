-- +goose Up
-- The sign of life of each HR import attempt that is running: it is written
-- before the attempt claims anything in import_claims and renewed while it
-- runs, and removed with the claims when the attempt ends. A process that
-- dies in the middle leaves both behind; the import-claims sweep removes the
-- claims of an attempt silent for an hour, and those of a job that is over.
-- Unlogged, as import_claims: a crash empties both together.
CREATE UNLOGGED TABLE import_runs (
    job_id       uuid PRIMARY KEY,
    heartbeat_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE import_runs;
