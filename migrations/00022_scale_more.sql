-- +goose Up
-- A large upload (a national HR file of hundreds of megabytes) goes straight
-- to the object store in parts: the S3 multipart upload's id is kept with the
-- upload so its completion can join the parts and its clean-up abort them.
ALTER TABLE uploads ADD COLUMN multipart_id text;

-- +goose Down
ALTER TABLE uploads DROP COLUMN multipart_id;
