-- +goose Up
-- Indexes for a national directory (4.3 million people). Plain CREATE INDEX:
-- goose runs a migration in a transaction, and CREATE INDEX CONCURRENTLY
-- cannot run in one. On a live national database build them by hand with
-- CONCURRENTLY first (the IF NOT EXISTS below then skips them), or split this
-- file with goose's NO TRANSACTION annotation; see docs/scaling.md.

-- Direct reports of a supervisor (approvals, assignment by supervisor): most
-- people supervise nobody, so only the rows that name a supervisor are kept.
CREATE INDEX IF NOT EXISTS users_supervisor ON users (supervisor_id) WHERE supervisor_id IS NOT NULL;

-- The directory's order and its name search together: the list is ordered by
-- (lower(name) COLLATE "C", id), which this index returns without a sort, and
-- the search "lower(name) COLLATE "C" LIKE 'siti%'" becomes a range on the
-- same index (a LIKE prefix can use a btree only under the C collation, which
-- the explicit COLLATE gives whatever the database's collation is). Cursor
-- pages seek into it with a row comparison. It replaces users_name_search.
CREATE INDEX IF NOT EXISTS users_directory ON users ((lower(name) COLLATE "C"), id);
DROP INDEX IF EXISTS users_name_search;

-- +goose Down
CREATE INDEX IF NOT EXISTS users_name_search ON users (lower(name) text_pattern_ops);
DROP INDEX IF EXISTS users_directory;
DROP INDEX IF EXISTS users_supervisor;
