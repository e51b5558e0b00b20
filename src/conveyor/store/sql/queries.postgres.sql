-- PostgreSQL variants: row locks so several server replicas can share one database.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name FOR UPDATE;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id FOR UPDATE;

-- name: queued_runs
SELECT * FROM runs WHERE status = 'queued' ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: queued_runs_of_pipeline
SELECT * FROM runs WHERE status = 'queued' AND pipeline_id = :pipeline_id ORDER BY id LIMIT :limit
FOR UPDATE SKIP LOCKED;
