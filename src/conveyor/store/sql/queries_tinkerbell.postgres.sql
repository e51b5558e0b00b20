-- PostgreSQL variants: a row lock so two reports on one workflow (from several replicas) apply in turn.

-- name: tink_workflow_for_update
SELECT * FROM tink_workflows WHERE id = :id AND deleted_at IS NULL FOR UPDATE;

-- name: tink_workflows_due
SELECT * FROM tink_workflows WHERE deadline IS NOT NULL AND deadline <= :now AND deleted_at IS NULL
ORDER BY deadline LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: tink_templates_like
SELECT * FROM tink_templates WHERE deleted_at IS NULL AND name ILIKE :pattern
ORDER BY created_at, id;

-- name: tink_hardware_by_ids
SELECT * FROM tink_hardware WHERE id = ANY(:ids) ORDER BY id;
