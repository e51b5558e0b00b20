-- PostgreSQL variants: row locks so several server replicas can share one database.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name FOR UPDATE;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id FOR UPDATE;

-- name: pending_runs_to_lease
-- pending_runs with the columns of queued_runs_of_pipeline: those the step queues can be leased at once
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r JOIN jobs j ON j.id = r.job_id
WHERE r.pipeline_id = :pipeline_id AND r.status = 'pending' AND j.paused = 0 ORDER BY r.id;

-- name: active_jobs_first
-- a first page of active_jobs, in no order: LIMIT stops the index scan early
SELECT id, job_name, status FROM runs
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval', 'queued', 'running') LIMIT :limit;

-- name: active_jobs_rest
SELECT id, job_name, status FROM runs
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval', 'queued', 'running')
  AND id <> ALL(:seen);

-- name: run_to_finish
-- The pipeline first, then the run: the order every writer of a run's row takes them in (cancel
-- locks the pipeline, then updates the run). Locked, the run shows its latest status.
SELECT r.*, p.current_version AS pipeline_current_version
FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = :id FOR UPDATE OF p, r;

-- name: runs_to_finish
-- run_to_finish of several runs in one statement, in id order (as reported one by one, they would be
-- locked in the order reported: a worker reports a batch in the order its runs were leased)
SELECT r.*, p.current_version AS pipeline_current_version
FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = ANY(:ids) ORDER BY r.id FOR UPDATE OF p, r;

-- name: queued_runs
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' ORDER BY r.id LIMIT :limit FOR UPDATE OF r SKIP LOCKED;

-- name: queued_runs_of_pipeline
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.pipeline_id = :pipeline_id ORDER BY r.id LIMIT :limit
FOR UPDATE OF r SKIP LOCKED;

-- name: queued_runs_on
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.runs_on = ANY(:accepted)
ORDER BY r.id LIMIT :limit FOR UPDATE OF r SKIP LOCKED;

-- name: queued_runs_on_of_pipeline
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.pipeline_id = :pipeline_id AND r.runs_on = ANY(:accepted)
ORDER BY r.id LIMIT :limit FOR UPDATE OF r SKIP LOCKED;

-- name: events_after_of_run
SELECT * FROM events
WHERE run_id = :run_id AND id > :after
  AND (CAST(:pipeline_id AS BIGINT) IS NULL OR pipeline_id = :pipeline_id)
  AND (CAST(:kind AS TEXT) IS NULL OR kind = :kind)
ORDER BY id LIMIT :limit;

-- name: run_lineage
-- A run with its pipeline's name, inputs, outputs and events in one statement: one round trip and
-- one snapshot (the rows are those of run_inputs, versions_made_by_run and events_of_run).
SELECT r.*, p.name AS pipeline,
  COALESCE((SELECT json_agg(x ORDER BY x.name) FROM (
      SELECT i.*, v.number AS version_number, v.digest AS version_digest,
             v.properties AS version_properties, v.files AS version_files, u.number AS upstream_number,
             u.properties AS upstream_properties, u.state_files AS upstream_state_files
      FROM run_inputs i
      LEFT JOIN resource_versions v ON v.id = i.version_id
      LEFT JOIN runs u ON u.id = i.upstream_run_id
      WHERE i.run_id = r.id) x), '[]') AS inputs,
  COALESCE((SELECT json_agg(x ORDER BY x.id) FROM (
      SELECT v.*, rs.name AS resource_name FROM resource_versions v JOIN resources rs ON rs.id = v.resource_id
      WHERE v.run_id = r.id) x), '[]') AS outputs,
  COALESCE((SELECT json_agg(e ORDER BY e.id) FROM events e WHERE e.run_id = r.id), '[]') AS events
FROM runs r JOIN pipelines p ON p.id = r.pipeline_id
WHERE r.id = :id;

-- name: latest_version_passed
SELECT ri.version_id AS id FROM run_inputs ri JOIN runs r ON r.id = ri.run_id
JOIN resource_versions v ON v.id = ri.version_id
WHERE v.resource_id = :resource_id AND ri.name = :name AND r.status = 'succeeded'
  AND r.job_id = ANY(:jobs)
GROUP BY ri.version_id HAVING COUNT(DISTINCT r.job_id) = :n
ORDER BY ri.version_id DESC LIMIT 1;

-- name: latest_runs_per_job
-- one backward step in runs_job (job_id, id) per job: the pipeline's history is never scanned
SELECT r.* FROM jobs j
CROSS JOIN LATERAL (SELECT * FROM runs WHERE job_id = j.id ORDER BY id DESC LIMIT 1) r
WHERE j.pipeline_id = :pipeline_id;

-- name: pending_runs_of_jobs
SELECT id, job_id, causes, status, created_at FROM runs
WHERE job_id = ANY(:job_ids) AND status IN ('pending', 'waiting_approval', 'queued') AND inputs_pinned = 0
ORDER BY id DESC;

-- name: insert_runs_numbered
INSERT INTO runs (pipeline_id, pipeline_version, job_id, job_name, number, attempt, retry_of, status, causes,
                  inputs_pinned, not_before, created_at, runs_on)
SELECT :pipeline_id, :pipeline_version, j.id, j.name,
       (SELECT coalesce(max(r.number), 0) + 1 FROM runs r WHERE r.job_id = j.id), 1, NULL,
       'pending', :causes, 0, 0, :now, j.runs_on
FROM unnest(CAST(:ids AS BIGINT[]), CAST(:names AS TEXT[]), CAST(:runs_on AS TEXT[])) AS j(id, name, runs_on)
RETURNING id, job_id, number;

-- name: insert_jobs
INSERT INTO jobs (pipeline_id, name, digest)
SELECT :pipeline_id, j.name, j.digest FROM unnest(CAST(:names AS TEXT[]), CAST(:digests AS TEXT[])) AS j(name, digest)
RETURNING id, name;

-- name: last_succeeded_runs
SELECT r.job_id, r.id, r.number, r.properties, r.state_files FROM unnest(CAST(:job_ids AS BIGINT[])) AS j(id)
JOIN LATERAL (SELECT s.job_id, s.id, s.number, s.properties, s.state_files FROM runs s
              WHERE s.job_id = j.id AND s.status = 'succeeded' ORDER BY s.id DESC LIMIT 1) r ON true;

-- name: last_finished_statuses
SELECT r.job_id, r.status FROM unnest(CAST(:job_ids AS BIGINT[])) AS j(id)
JOIN LATERAL (SELECT s.job_id, s.status FROM runs s
              WHERE s.job_id = j.id AND s.status IN ('succeeded', 'failed', 'errored', 'timed_out', 'cancelled')
              ORDER BY s.id DESC LIMIT 1) r ON true;

-- name: start_runs_recorded
-- start_run of each run, its run.started event and the inputs it reads (run_inputs rows), in one
-- statement for the runs a lease starts: :rows is a JSON array, an object per run (as
-- execute_combined sends them), and the events keep its order. Unread data-modifying CTEs run all
-- the same.
WITH s AS (
    SELECT CAST(e->>'id' AS BIGINT) AS id, CAST(e->>'worker_id' AS BIGINT) AS worker_id,
           CAST(e->>'now' AS DOUBLE PRECISION) AS now, CAST(e->>'lease' AS DOUBLE PRECISION) AS lease,
           CAST(e->>'pipeline_version' AS INTEGER) AS pipeline_version,
           CAST(e->>'pipeline_id' AS BIGINT) AS pipeline_id, e->>'data' AS data, e->'inputs' AS inputs, n
    FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS t(e, n)
), started AS (
    UPDATE runs r SET status = 'running', worker_id = s.worker_id, started_at = s.now, lease_expires_at = s.lease,
                      pipeline_version = s.pipeline_version
    FROM s WHERE r.id = s.id AND r.status = 'queued'
), inputs AS (
    INSERT INTO run_inputs (run_id, name, kind, version_id, upstream_run_id)
    SELECT s.id, i.name, i.kind, i.version_id, i.upstream_run_id
    FROM s CROSS JOIN LATERAL json_to_recordset(s.inputs)
        AS i(name TEXT, kind TEXT, version_id BIGINT, upstream_run_id BIGINT)
)
INSERT INTO events (at, kind, pipeline_id, run_id, data)
SELECT s.now, 'run.started', s.pipeline_id, s.id, s.data FROM s ORDER BY s.n;

-- name: finish_runs_recorded
-- finish_run of each run, the rest of its log (base64; null: none) and its run.<status> event, in
-- one statement for the runs a batch ends (:rows as start_runs_recorded's)
WITH f AS (
    SELECT CAST(e->>'id' AS BIGINT) AS id, e->>'status' AS status,
           CAST(e->>'finished_at' AS DOUBLE PRECISION) AS finished_at, CAST(e->>'exit_code' AS INTEGER) AS exit_code,
           e->>'message' AS message, e->>'steps' AS steps, e->>'properties' AS properties,
           e->>'state_files' AS state_files, decode(e->>'log', 'base64') AS log, e->>'kind' AS kind,
           CAST(e->>'pipeline_id' AS BIGINT) AS pipeline_id, e->>'data' AS data, n
    FROM json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS t(e, n)
), finished AS (
    UPDATE runs r SET status = f.status, finished_at = f.finished_at, exit_code = f.exit_code, message = f.message,
                      steps = f.steps, properties = f.properties, state_files = f.state_files, lease_expires_at = NULL
    FROM f WHERE r.id = f.id AND r.status = 'running'
), logged AS (
    INSERT INTO run_logs (run_id, seq, data, created_at)
    SELECT f.id, coalesce((SELECT max(l.seq) FROM run_logs l WHERE l.run_id = f.id), 0) + 1, f.log, f.finished_at
    FROM f WHERE f.log IS NOT NULL
)
INSERT INTO events (at, kind, pipeline_id, run_id, data)
SELECT f.finished_at, f.kind, f.pipeline_id, f.id, f.data FROM f ORDER BY f.n;

-- name: jobs_ahead
-- last_succeeded_runs and last_finished_statuses of :job_ids in one statement (NULLs: none yet)
SELECT j.id AS job_id, f.status AS last_status, r.id, r.number, r.properties, r.state_files
FROM unnest(CAST(:job_ids AS BIGINT[])) AS j(id)
LEFT JOIN LATERAL (SELECT s.status FROM runs s
                   WHERE s.job_id = j.id AND s.status IN ('succeeded', 'failed', 'errored', 'timed_out', 'cancelled')
                   ORDER BY s.id DESC LIMIT 1) f ON true
LEFT JOIN LATERAL (SELECT s.id, s.number, s.properties, s.state_files FROM runs s
                   WHERE s.job_id = j.id AND s.status = 'succeeded' ORDER BY s.id DESC LIMIT 1) r ON true;
