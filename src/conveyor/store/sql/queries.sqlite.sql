-- SQLite variants: a write transaction (BEGIN IMMEDIATE) already holds the only write lock.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id;

-- name: open_runs
-- (without statistics SQLite would walk every run of the pipeline to avoid sorting a handful)
SELECT * FROM runs INDEXED BY runs_pipeline_status
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval') ORDER BY id;
