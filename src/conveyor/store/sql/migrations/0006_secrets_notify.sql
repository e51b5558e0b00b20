-- Secrets (integrations: named key-value secrets, each value encrypted at rest) and the notification
-- outbox: deliveries made from run events, sent by a background thread, retried with backoff.

CREATE TABLE integrations (
    id {id},
    name TEXT NOT NULL UNIQUE,
    -- the JSON object of key -> value, encrypted as one Fernet token (never stored in the clear)
    payload TEXT NOT NULL,
    -- key names only (JSON list), so listing never needs the key
    keys TEXT NOT NULL,
    created_at {real} NOT NULL,
    updated_at {real} NOT NULL
);

-- The last event the notification dispatcher turned into deliveries (one row, locked while scanning so
-- replicas never make a delivery twice). Starts at the newest event: history is not notified.
CREATE TABLE notify_cursor (
    id INTEGER PRIMARY KEY,
    event_id BIGINT NOT NULL
);
INSERT INTO notify_cursor (id, event_id) SELECT 1, coalesce(max(id), 0) FROM events;

CREATE TABLE notify_deliveries (
    id {id},
    event_id BIGINT NOT NULL,
    pipeline_id BIGINT,
    run_id BIGINT,
    notifier TEXT NOT NULL,
    -- what to send: the notifier's definition and the message, as JSON (no secret values: those are
    -- read from their integration when sending)
    target TEXT NOT NULL,
    message TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at {real} NOT NULL,
    claimed_until {real},
    last_error TEXT NOT NULL DEFAULT '',
    created_at {real} NOT NULL,
    UNIQUE (event_id, notifier)
);
CREATE INDEX notify_due ON notify_deliveries (next_at) WHERE status = 'pending';
