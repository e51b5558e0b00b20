-- PostgreSQL variants: several replicas claim due checks without blocking each other.

-- name: due_checks
SELECT c.*, r.name AS resource_name, r.type AS resource_type, p.name AS pipeline_name
FROM resource_checks c JOIN resources r ON r.id = c.resource_id JOIN pipelines p ON p.id = c.pipeline_id
WHERE c.next_at <= :now ORDER BY c.next_at LIMIT :limit
FOR UPDATE OF c SKIP LOCKED;
