-- +goose Up
-- The learner key of an enrolment: the organisation path of the learner's
-- unit (identity's organizations.path, "/<id>/<id>/…/"), so the team view
-- selects "the enrolments of the people under root R" by a prefix of this
-- column instead of checking each enrolment's learner through users and
-- organisations. Delivery sets it when it enrols someone and keeps it by
-- identity's events (a person transferred, an organisation moved).
--
-- COLLATE "C" makes LIKE 'prefix%' a range on the btree whatever the
-- database's collation; paths are ASCII.
ALTER TABLE enrolments ADD COLUMN learner_path text COLLATE "C";

-- The backfill reads identity's tables once, here; delivery's code never
-- does. An enrolment whose learner is unknown gets '' (under no root).
UPDATE enrolments e SET learner_path = o.path
FROM users u JOIN organizations o ON o.id = u.org_id
WHERE u.id = e.user_id;
UPDATE enrolments SET learner_path = '' WHERE learner_path IS NULL;
ALTER TABLE enrolments ALTER COLUMN learner_path SET NOT NULL;

-- "Under root R, newest first": the team view reads the range of R's
-- prefix on this index alone (user_id is included, to leave the caller out
-- without visiting the table) and keeps the newest rows. Its cost follows
-- the team's enrolments, not the table's: walking the table newest first
-- and checking each row's key reads every newer enrolment of everyone else
-- first (docs/performance.md, "Team view with a learner key").
CREATE INDEX enrolments_learner_path ON enrolments (learner_path, id) INCLUDE (user_id);

-- +goose Down
DROP INDEX enrolments_learner_path;
ALTER TABLE enrolments DROP COLUMN learner_path;
