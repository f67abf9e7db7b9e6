-- +goose Up
-- One row per (outbox event, consumer): the relay writes it when it hands the
-- consumer's task to Redis, the consumer's handler sets done_at in the same
-- transaction as its effect, so a duplicate task changes nothing twice. A row
-- relayed long ago and not done is sent again (Redis may have lost the task);
-- gave_up_at marks a consumer that failed for good (the task is archived).
CREATE TABLE outbox_deliveries (
    event_id   uuid        NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    consumer   text        NOT NULL,
    relayed_at timestamptz NOT NULL DEFAULT now(),
    sends      integer     NOT NULL DEFAULT 0,
    failures   integer     NOT NULL DEFAULT 0,
    last_error text,
    done_at    timestamptz,
    gave_up_at timestamptz,
    PRIMARY KEY (event_id, consumer)
);
CREATE INDEX outbox_deliveries_open ON outbox_deliveries (relayed_at) WHERE done_at IS NULL AND gave_up_at IS NULL;
-- The purge looks for relayed rows by age.
CREATE INDEX outbox_relayed ON outbox (relayed_at) WHERE relayed_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_relayed;
DROP TABLE outbox_deliveries;
