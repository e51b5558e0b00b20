-- Bulk loading: many rows of history at once (benchmarks fill a store with a million runs this way).
-- Rows come as tuples in the column order written here; queries_bulk.postgres.sql loads the same
-- columns, in the same order, with COPY. Ids are given, so runs, inputs and events can refer to each other.

-- name: bulk_versions
INSERT INTO resource_versions (id, resource_id, number, digest, properties, files, created_by, creator, run_id,
                               created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: bulk_runs
INSERT INTO runs (id, pipeline_id, pipeline_version, job_id, job_name, number, attempt, status, causes,
                  created_at, queued_at, started_at, finished_at, worker_id, lease_expires_at, exit_code,
                  message, properties, steps, runs_on, not_before)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: bulk_run_inputs
INSERT INTO run_inputs (run_id, name, kind, version_id, upstream_run_id) VALUES (?, ?, ?, ?, ?);

-- name: bulk_events
INSERT INTO events (id, at, kind, pipeline_id, run_id, data) VALUES (?, ?, ?, ?, ?, ?);

-- name: bulk_max_ids
SELECT (SELECT coalesce(max(id), 0) FROM runs) AS runs,
       (SELECT coalesce(max(id), 0) FROM events) AS events,
       (SELECT coalesce(max(id), 0) FROM resource_versions) AS versions;

-- name: bulk_sync_ids
-- SQLite gives the next rowid after the largest: nothing to move on.
SELECT 1;

-- name: bulk_sync_counters
-- Loaded versions and runs carry their numbers; the counters the next insert bumps must start above them.
UPDATE resources SET last_version = coalesce(
    (SELECT max(number) FROM resource_versions v WHERE v.resource_id = resources.id), 0)
WHERE pipeline_id = :pipeline_id;

-- name: bulk_run_numbers
-- each job's newest run number (a run's number is its job's max + 1, taken in the insert)
SELECT j.name, coalesce((SELECT max(number) FROM runs r WHERE r.job_id = j.id), 0) AS number
FROM jobs j WHERE j.pipeline_id = :pipeline_id;

-- name: bulk_analyze
-- SQLite is left without statistics, as every conveyor database is: its plans must not depend on them.
SELECT 1;
