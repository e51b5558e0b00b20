-- SQLite variants: a write transaction (BEGIN IMMEDIATE) already holds the only write lock.

-- name: pipeline_by_name_for_update
SELECT * FROM pipelines WHERE name = :name;

-- name: lock_pipeline
SELECT * FROM pipelines WHERE id = :id;

-- name: open_runs
-- (without statistics SQLite would walk every run of the pipeline to avoid sorting a handful)
SELECT * FROM runs INDEXED BY runs_pipeline_status
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval') ORDER BY id;

-- name: runs_to_finish
-- run_to_finish of several runs in one statement (:ids a JSON array; the write lock is global)
SELECT r.*, p.current_version AS pipeline_current_version
FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id IN (SELECT value FROM json_each(:ids)) ORDER BY r.id;

-- name: start_runs_recorded
-- start_run, the inputs it reads (:inputs, a JSON list of run_inputs rows) and its run.started event:
-- statements SqliteConnection.execute_combined runs with executemany, each over all the runs a lease
-- starts (the events in their order)
UPDATE runs SET status = 'running', worker_id = :worker_id, started_at = :now, lease_expires_at = :lease,
                pipeline_version = :pipeline_version
WHERE id = :id AND status = 'queued';
INSERT INTO run_inputs (run_id, name, kind, version_id, upstream_run_id)
SELECT :id, i.value ->> 'name', i.value ->> 'kind', i.value ->> 'version_id', i.value ->> 'upstream_run_id'
FROM json_each(:inputs) i;
INSERT INTO events (at, kind, pipeline_id, run_id, data) VALUES (:now, 'run.started', :pipeline_id, :id, :data);

-- name: finish_runs_recorded
-- finish_run, the rest of its log (:log NULL: none) and its run.<status> event: statements
-- execute_combined runs with executemany over all the runs a batch ends
UPDATE runs SET status = :status, finished_at = :finished_at, exit_code = :exit_code, message = :message,
                steps = :steps, properties = :properties, state_files = :state_files, lease_expires_at = NULL
WHERE id = :id AND status = 'running';
INSERT INTO run_logs (run_id, seq, data, created_at)
SELECT :id, (SELECT coalesce(max(seq), 0) + 1 FROM run_logs WHERE run_id = :id), :log, :finished_at
WHERE :log IS NOT NULL;
INSERT INTO events (at, kind, pipeline_id, run_id, data) VALUES (:finished_at, :kind, :pipeline_id, :id, :data);
