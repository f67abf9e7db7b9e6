-- +goose Up
-- The audit log is append-only: a trigger refuses every UPDATE and DELETE,
-- so not even a bug in Corpu can rewrite history.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    grant_id    uuid,
    org_id      uuid,
    org_path    text NOT NULL,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    request_id  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_scope ON audit_log (org_path text_pattern_ops, id);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- Long work (imports, exports, bulk issue) is a job a client polls.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    owner_id         uuid NOT NULL,
    org_id           uuid NOT NULL,
    params           jsonb NOT NULL DEFAULT '{}',
    progress_done    integer NOT NULL DEFAULT 0,
    progress_total   integer NOT NULL DEFAULT 0,
    result           jsonb,
    result_key       text,
    error_report_key text,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz
);
CREATE INDEX jobs_owner ON jobs (owner_id, id);

-- +goose Down
DROP TABLE jobs;
DROP TRIGGER audit_log_no_change ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
