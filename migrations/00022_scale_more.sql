-- +goose Up
-- A large upload (a national HR file of hundreds of megabytes) goes straight
-- to the object store in parts: the S3 multipart upload's id is kept with the
-- upload so its completion can join the parts and its clean-up abort them.
ALTER TABLE uploads ADD COLUMN multipart_id text;

-- What an HR import remembers of the rows it has read, so that its memory
-- does not grow with the file (4.3 million rows for the whole country): the
-- line that first claimed each NIP and e-mail address, the person each row
-- brought in, and the supervisor links to make once every row is in. Rows of
-- a job live only while it runs (a retry starts by removing them), so the
-- table is unlogged: a crash loses nothing a retry does not rebuild.
CREATE UNLOGGED TABLE import_claims (
    job_id         uuid    NOT NULL,
    nip            bigint  NOT NULL,
    email          text    NOT NULL,
    line           integer NOT NULL,
    user_id        uuid,
    -- set when the row's supervisor was not known when it was written
    supervisor_nip bigint,
    raw_nip        text,
    unchanged      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, nip)
);
CREATE UNIQUE INDEX import_claims_email ON import_claims (job_id, email);
CREATE INDEX import_claims_deferred ON import_claims (job_id, line) WHERE supervisor_nip IS NOT NULL;

-- +goose Down
DROP TABLE import_claims;
ALTER TABLE uploads DROP COLUMN multipart_id;
