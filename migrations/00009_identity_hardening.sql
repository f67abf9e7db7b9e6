-- +goose Up
-- A role grant is ended rather than deleted (a revocation, or a transfer out
-- of the unit it belonged to), so the history of who could do what stays.
-- Only grants that have not ended are unique and count.
ALTER TABLE role_grants ADD COLUMN ended_at timestamptz;
ALTER TABLE role_grants ADD COLUMN ended_by uuid REFERENCES users (id);
ALTER TABLE role_grants ADD COLUMN end_reason text;
ALTER TABLE role_grants DROP CONSTRAINT role_grants_unique;
CREATE UNIQUE INDEX role_grants_unique ON role_grants (user_id, role, org_id) WHERE ended_at IS NULL;
CREATE INDEX role_grants_user ON role_grants (user_id) WHERE ended_at IS NULL;

-- Sign-in throttling asks whether an address has signed in to an account
-- before (a known address is never slowed by others' failures).
CREATE INDEX refresh_tokens_user_ip ON refresh_tokens (user_id, ip);

-- Reset mails are throttled per account in PostgreSQL, so the answer does
-- not depend on Redis.
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose, created_at);

-- The permission a job was started under: a personal API token reads the
-- job only when it carries that permission.
ALTER TABLE jobs ADD COLUMN permission text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE jobs DROP COLUMN permission;
DROP INDEX one_time_tokens_user;
DROP INDEX refresh_tokens_user_ip;
DROP INDEX role_grants_user;
DROP INDEX role_grants_unique;
DELETE FROM role_grants WHERE ended_at IS NOT NULL;
ALTER TABLE role_grants ADD CONSTRAINT role_grants_unique UNIQUE (user_id, role, org_id);
ALTER TABLE role_grants DROP COLUMN end_reason;
ALTER TABLE role_grants DROP COLUMN ended_by;
ALTER TABLE role_grants DROP COLUMN ended_at;
