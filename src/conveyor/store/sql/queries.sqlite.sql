-- SQLite variants: a write transaction (BEGIN IMMEDIATE) already holds the only write lock.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id;

-- name: open_runs
-- SQLite uses a partial index only when the query repeats its WHERE term, and (without statistics) picks
-- runs_pipeline for the ORDER BY, reading the pipeline's whole history: the repeated term and "+id" make
-- it read runs_active, a handful of rows (the pipeline page asks this on every view).
SELECT * FROM runs WHERE pipeline_id = :pipeline_id
  AND status IN ('pending', 'waiting_approval', 'queued', 'running') AND status IN ('pending', 'waiting_approval')
ORDER BY +id;
