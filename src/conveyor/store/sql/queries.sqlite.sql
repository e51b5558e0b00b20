-- SQLite variants: a write transaction (BEGIN IMMEDIATE) already holds the only write lock.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id;
