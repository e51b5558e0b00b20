-- PostgreSQL variants: row locks where replicas would otherwise race.

-- name: notify_cursor
SELECT event_id FROM notify_cursor WHERE id = 1 FOR UPDATE;

-- name: notify_due
SELECT * FROM notify_deliveries
WHERE status = 'pending' AND next_at <= :now AND (claimed_until IS NULL OR claimed_until < :now)
ORDER BY next_at, id LIMIT :limit
FOR UPDATE SKIP LOCKED;
