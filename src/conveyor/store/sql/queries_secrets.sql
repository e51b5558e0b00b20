-- Integrations (named, encrypted key-value secrets) and the notification outbox.

-- name: integration_put
INSERT INTO integrations (name, payload, keys, created_at, updated_at)
VALUES (:name, :payload, :keys, :now, :now)
ON CONFLICT (name) DO UPDATE SET payload = excluded.payload, keys = excluded.keys, updated_at = excluded.updated_at;

-- name: integration_by_name
SELECT * FROM integrations WHERE name = :name;

-- name: integrations_list
SELECT id, name, keys, created_at, updated_at FROM integrations ORDER BY name;

-- name: integration_delete
DELETE FROM integrations WHERE name = :name RETURNING id;

-- name: notify_cursor
SELECT event_id FROM notify_cursor WHERE id = 1;

-- name: notify_cursor_peek
SELECT event_id FROM notify_cursor WHERE id = 1;

-- name: notify_next_due
SELECT min(next_at) AS next_at FROM notify_deliveries WHERE status = 'pending';

-- name: notify_set_cursor
UPDATE notify_cursor SET event_id = :event_id WHERE id = 1;

-- name: notify_events_after
-- Run events that may be notified, settled: on PostgreSQL an event id may commit after a higher one.
SELECT e.id, e.kind, e.at, e.pipeline_id, e.run_id, e.data FROM events e
WHERE e.id > :after AND e.at <= :settled AND e.run_id IS NOT NULL
  AND e.kind IN ('run.started', 'run.succeeded', 'run.failed', 'run.errored', 'run.timed_out',
                 'run.cancelled', 'run.cancel_requested', 'run.rejected', 'run.waiting_approval')
ORDER BY e.id LIMIT :limit;

-- name: notify_last_settled_event
SELECT max(id) AS id FROM events WHERE id > :after AND at <= :settled;

-- name: notify_insert_delivery
INSERT INTO notify_deliveries (event_id, pipeline_id, run_id, notifier, target, message, next_at, created_at)
VALUES (:event_id, :pipeline_id, :run_id, :notifier, :target, :message, :now, :now)
ON CONFLICT (event_id, notifier) DO NOTHING;

-- name: notify_due
SELECT * FROM notify_deliveries
WHERE status = 'pending' AND next_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
ORDER BY next_at, id LIMIT :limit;

-- name: notify_claim
UPDATE notify_deliveries SET claimed_until = :until WHERE id = :id;

-- name: notify_update
UPDATE notify_deliveries
SET status = :status, attempts = :attempts, next_at = :next_at, claimed_until = NULL, last_error = :error
WHERE id = :id;

-- name: notify_delivery
SELECT * FROM notify_deliveries WHERE id = :id;

-- name: notify_backlog
-- Deliveries never tried, or due again now (``conveyor run`` waits for these before it exits).
SELECT count(*) AS n FROM notify_deliveries
WHERE status = 'pending' AND (attempts = 0 OR next_at <= :now)
  AND (:pipeline_id IS NULL OR pipeline_id = :pipeline_id);

-- name: notify_deliveries_of_run
SELECT id, event_id, notifier, status, attempts, last_error, created_at FROM notify_deliveries
WHERE run_id = :run_id ORDER BY id;

-- name: approvals_waiting
-- Runs waiting at a gate, with when they began to wait (the latest run.waiting_approval event).
SELECT r.id, r.pipeline_id, r.pipeline_version, r.job_name, max(e.at) AS since
FROM runs r JOIN events e ON e.run_id = r.id AND e.kind = 'run.waiting_approval'
WHERE r.status = 'waiting_approval'
GROUP BY r.id, r.pipeline_id, r.pipeline_version, r.job_name;
