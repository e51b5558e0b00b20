-- Resource checks (time ticks, git polls) and webhook tokens.

-- name: check_of
SELECT * FROM resource_checks WHERE resource_id = :resource_id;

-- name: checks_of_pipeline
SELECT * FROM resource_checks WHERE pipeline_id = :pipeline_id;

-- name: insert_check
INSERT INTO resource_checks (resource_id, pipeline_id, source_digest, next_at)
VALUES (:resource_id, :pipeline_id, :source_digest, :next_at)
ON CONFLICT (resource_id) DO UPDATE
SET source_digest = excluded.source_digest, next_at = excluded.next_at, cursor = '', error = NULL;

-- name: delete_check
DELETE FROM resource_checks WHERE resource_id = :resource_id;

-- name: due_checks
SELECT c.*, r.name AS resource_name, r.type AS resource_type, p.name AS pipeline_name
FROM resource_checks c JOIN resources r ON r.id = c.resource_id JOIN pipelines p ON p.id = c.pipeline_id
WHERE c.next_at <= :now ORDER BY c.next_at LIMIT :limit;

-- name: claim_check
UPDATE resource_checks SET next_at = :until WHERE resource_id = :resource_id AND next_at = :seen;

-- name: record_check
UPDATE resource_checks SET next_at = :next_at, cursor = :cursor, checked_at = :now, error = :error
WHERE resource_id = :resource_id;

-- name: next_check
SELECT MIN(next_at) AS at FROM resource_checks;

-- name: set_webhook_token
UPDATE resources SET webhook_token = :token_hash WHERE id = :id;
