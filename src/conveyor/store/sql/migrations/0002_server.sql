-- Server and remote workers: API tokens, cancelling running runs, label-bound runs, event queries.

CREATE TABLE tokens (
    id {id},
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_at {real} NOT NULL,
    last_used_at {real},
    revoked_at {real}
);

ALTER TABLE runs ADD COLUMN cancel_reason TEXT;
ALTER TABLE runs ADD COLUMN runs_on TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_queued_on ON runs (runs_on, id) WHERE status = 'queued';
CREATE INDEX runs_pending ON runs (pipeline_id) WHERE status = 'pending';
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX events_pipeline ON events (pipeline_id, id);
CREATE INDEX events_kind ON events (kind, id);
