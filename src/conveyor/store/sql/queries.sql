-- Named queries shared by SQLite and PostgreSQL. Parameters are written :name; the PostgreSQL
-- connector rewrites them to psycopg's %(name)s. A query may be overridden per dialect in
-- queries.<dialect>.sql under the same name.

-- name: pipeline_by_name
SELECT * FROM pipelines WHERE name = :name;

-- name: pipeline_by_id
SELECT * FROM pipelines WHERE id = :id;

-- name: pipelines
SELECT * FROM pipelines ORDER BY name;

-- name: insert_pipeline
INSERT INTO pipelines (name, created_at) VALUES (:name, :now) RETURNING id;

-- name: set_pipeline_version
UPDATE pipelines SET current_version = :number WHERE id = :id;

-- name: pipeline_version
SELECT * FROM pipeline_versions WHERE pipeline_id = :pipeline_id AND number = :number;

-- name: insert_pipeline_version
INSERT INTO pipeline_versions (pipeline_id, number, digest, definition, source, source_file, created_at)
VALUES (:pipeline_id, :number, :digest, :definition, :source, :source_file, :now);

-- name: resources
SELECT * FROM resources WHERE pipeline_id = :pipeline_id ORDER BY id;

-- name: resource_by_name
SELECT * FROM resources WHERE pipeline_id = :pipeline_id AND name = :name;

-- name: insert_resource
INSERT INTO resources (pipeline_id, name, type, declared_digest)
VALUES (:pipeline_id, :name, :type, :declared_digest) RETURNING id;

-- name: update_resource
UPDATE resources SET type = :type, declared_digest = :declared_digest, active = :active WHERE id = :id;

-- name: bump_resource_version
UPDATE resources SET last_version = last_version + 1 WHERE id = :id RETURNING last_version;

-- name: latest_version
SELECT v.* FROM resource_versions v JOIN resources r ON r.id = v.resource_id
WHERE r.id = :resource_id AND v.number = r.last_version;

-- name: version_by_id
SELECT * FROM resource_versions WHERE id = :id;

-- name: versions
SELECT * FROM resource_versions WHERE resource_id = :resource_id AND number < :before
ORDER BY number DESC LIMIT :limit;

-- name: insert_version
INSERT INTO resource_versions (resource_id, number, digest, properties, files, created_by, creator, run_id,
                               created_at)
VALUES (:resource_id, :number, :digest, :properties, :files, :created_by, :creator, :run_id, :now)
RETURNING id;

-- name: versions_made_by_run
SELECT v.*, r.name AS resource_name FROM resource_versions v JOIN resources r ON r.id = v.resource_id
WHERE v.run_id = :run_id ORDER BY v.id;

-- name: insert_blob
INSERT INTO blobs (sha256, size, data) VALUES (:sha256, :size, :data) ON CONFLICT (sha256) DO NOTHING;

-- name: blob
SELECT data FROM blobs WHERE sha256 = :sha256;

-- name: jobs
SELECT * FROM jobs WHERE pipeline_id = :pipeline_id ORDER BY id;

-- name: insert_job
INSERT INTO jobs (pipeline_id, name, digest) VALUES (:pipeline_id, :name, :digest) RETURNING id;

-- name: insert_jobs
-- insert_job for each [name, digest] of :jobs (a JSON array), in one statement
INSERT INTO jobs (pipeline_id, name, digest)
SELECT :pipeline_id, j.value ->> 0, j.value ->> 1 FROM json_each(:jobs) j
RETURNING id, name;

-- name: update_job
UPDATE jobs SET digest = :digest, active = :active WHERE id = :id;

-- name: insert_run_numbered
-- the job's next number from its runs' unique (job_id, number, attempt) index: no jobs row to update
-- (a page less in every commit); callers hold the pipeline's lock, and the unique index backs it
INSERT INTO runs (pipeline_id, pipeline_version, job_id, job_name, number, attempt, retry_of, status, causes,
                  inputs_pinned, not_before, created_at, runs_on)
SELECT :pipeline_id, :pipeline_version, :job_id, :job_name, coalesce(max(number), 0) + 1, :attempt,
       CAST(:retry_of AS BIGINT),
       :status, :causes, :inputs_pinned, :not_before, :now, :runs_on
FROM runs WHERE job_id = :job_id
RETURNING id, number;

-- name: insert_run
INSERT INTO runs (pipeline_id, pipeline_version, job_id, job_name, number, attempt, retry_of, status, causes,
                  inputs_pinned, not_before, created_at, runs_on)
VALUES (:pipeline_id, :pipeline_version, :job_id, :job_name, :number, :attempt, :retry_of, :status, :causes,
        :inputs_pinned, :not_before, :now, :runs_on)
RETURNING id;

-- name: run
SELECT * FROM runs WHERE id = :id;

-- name: pending_run_of_job
SELECT id, job_id, causes, status, created_at FROM runs
WHERE job_id = :job_id AND status IN ('pending', 'waiting_approval', 'queued') AND inputs_pinned = 0
ORDER BY id DESC LIMIT 1;

-- name: pending_runs_of_jobs
SELECT id, job_id, causes, status, created_at FROM runs
WHERE job_id IN (SELECT value FROM json_each(:job_ids))
  AND status IN ('pending', 'waiting_approval', 'queued') AND inputs_pinned = 0
ORDER BY id DESC;

-- name: insert_runs_numbered
-- insert_run_numbered for each [job id, job name, runs_on] of :jobs (a JSON array), in one statement
INSERT INTO runs (pipeline_id, pipeline_version, job_id, job_name, number, attempt, retry_of, status, causes,
                  inputs_pinned, not_before, created_at, runs_on)
SELECT :pipeline_id, :pipeline_version, j.value ->> 0, j.value ->> 1,
       (SELECT coalesce(max(r.number), 0) + 1 FROM runs r WHERE r.job_id = j.value ->> 0), 1, NULL,
       'pending', :causes, 0, 0, :now, j.value ->> 2
FROM json_each(:jobs) j
RETURNING id, job_id, number;

-- name: set_causes
UPDATE runs SET causes = :causes WHERE id = :id;

-- name: pending_runs
-- of jobs not paused: a paused job's runs wait as pending until it is unpaused
SELECT r.id, r.job_id, r.job_name, r.not_before, r.approved FROM runs r JOIN jobs j ON j.id = r.job_id
WHERE r.pipeline_id = :pipeline_id AND r.status = 'pending' AND j.paused = 0 ORDER BY r.id;

-- name: active_jobs
SELECT id, job_name, status FROM runs
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval', 'queued', 'running');

-- name: active_counts
SELECT status, count(*) AS n FROM runs
WHERE pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval', 'queued', 'running')
GROUP BY status;


-- name: set_run_status
UPDATE runs SET status = :status WHERE id = :id;

-- name: queue_run
UPDATE runs SET status = 'queued', queued_at = :now WHERE id = :id;

-- name: approve_run
UPDATE runs SET status = 'queued', queued_at = :now, approved = 1 WHERE id = :id AND status = 'waiting_approval';

-- name: queued_runs
-- Each with the state its job's previous run left (what the run starts from), read in the same statement.
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' ORDER BY r.id LIMIT :limit;

-- name: queued_runs_of_pipeline
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.pipeline_id = :pipeline_id ORDER BY r.id LIMIT :limit;

-- name: fail_unstarted_run
UPDATE runs SET status = :status, finished_at = :now, message = :message WHERE id = :id;

-- name: running_runs
SELECT r.id, r.worker_id, r.lease_expires_at, w.hostname, w.pid FROM runs r
LEFT JOIN workers w ON w.id = r.worker_id WHERE r.status = 'running';

-- name: running_runs_of_worker
SELECT id, pipeline_id, inputs_pinned FROM runs WHERE worker_id = :worker_id AND status = 'running';

-- name: requeue_unstarted_run
UPDATE runs SET status = 'queued', worker_id = NULL, started_at = NULL, lease_expires_at = NULL, queued_at = :now
WHERE id = :id AND status = 'running';

-- name: delete_run_inputs
DELETE FROM run_inputs WHERE run_id = :run_id;

-- name: extend_leases
UPDATE runs SET lease_expires_at = :lease WHERE worker_id = :worker_id AND status = 'running';

-- name: last_succeeded_run
SELECT id, number, properties, state_files FROM runs WHERE job_id = :job_id AND status = 'succeeded'
ORDER BY id DESC LIMIT 1;

-- name: last_succeeded_runs
-- last_succeeded_run of each job id in :job_ids (a JSON array), in one statement
SELECT r.job_id, r.id, r.number, r.properties, r.state_files FROM json_each(:job_ids) j
JOIN runs r ON r.id = (SELECT s.id FROM runs s WHERE s.job_id = j.value AND s.status = 'succeeded'
                       ORDER BY s.id DESC LIMIT 1);

-- name: last_finished_statuses
-- last_finished_status of each job id in :job_ids (a JSON array), in one statement
SELECT r.job_id, r.status FROM json_each(:job_ids) j
JOIN runs r ON r.id = (SELECT s.id FROM runs s WHERE s.job_id = j.value
                         AND s.status IN ('succeeded', 'failed', 'errored', 'timed_out', 'cancelled')
                       ORDER BY s.id DESC LIMIT 1);

-- name: last_finished_status
SELECT status FROM runs
WHERE job_id = :job_id AND status IN ('succeeded', 'failed', 'errored', 'timed_out', 'cancelled')
ORDER BY id DESC LIMIT 1;

-- name: insert_run_input
INSERT INTO run_inputs (run_id, name, kind, version_id, upstream_run_id)
VALUES (:run_id, :name, :kind, :version_id, :upstream_run_id);

-- name: copy_run_inputs
INSERT INTO run_inputs (run_id, name, kind, version_id, upstream_run_id)
SELECT :new_run_id, name, kind, version_id, upstream_run_id FROM run_inputs WHERE run_id = :run_id;

-- name: run_inputs
SELECT i.*, v.number AS version_number, v.digest AS version_digest, v.properties AS version_properties,
       v.files AS version_files, u.number AS upstream_number, u.properties AS upstream_properties,
       u.state_files AS upstream_state_files
FROM run_inputs i
LEFT JOIN resource_versions v ON v.id = i.version_id
LEFT JOIN runs u ON u.id = i.upstream_run_id
WHERE i.run_id = :run_id ORDER BY i.name;

-- name: runs_of_pipeline
SELECT * FROM runs WHERE pipeline_id = :pipeline_id AND id < :before ORDER BY id DESC LIMIT :limit;

-- name: runs_of_job
SELECT * FROM runs WHERE job_id = :job_id AND id < :before ORDER BY id DESC LIMIT :limit;

-- name: runs_since
SELECT * FROM runs WHERE pipeline_id = :pipeline_id AND id > :after ORDER BY id;

-- name: latest_runs_per_job
-- One index probe per job (runs_job), not a GROUP BY over every run of the pipeline.
SELECT r.* FROM jobs j JOIN runs r ON r.id = (SELECT max(id) FROM runs WHERE job_id = j.id)
WHERE j.pipeline_id = :pipeline_id;

-- name: insert_log
INSERT INTO run_logs (run_id, seq, data, created_at)
SELECT :run_id, coalesce(max(seq), 0) + 1, :data, :now FROM run_logs WHERE run_id = :run_id;

-- name: run_to_finish
SELECT r.*, p.current_version AS pipeline_current_version
FROM runs r JOIN pipelines p ON p.id = r.pipeline_id WHERE r.id = :id;

-- name: logs
SELECT seq, data FROM run_logs WHERE run_id = :run_id AND seq > :after ORDER BY seq;

-- name: insert_event
INSERT INTO events (at, kind, pipeline_id, run_id, data) VALUES (:now, :kind, :pipeline_id, :run_id, :data);

-- name: events_of_run
SELECT * FROM events WHERE run_id = :run_id ORDER BY id;

-- name: insert_worker
INSERT INTO workers (name, hostname, pid, labels, started_at, heartbeat_at)
VALUES (:name, :hostname, :pid, :labels, :now, :now) RETURNING id;

-- name: heartbeat_worker
UPDATE workers SET heartbeat_at = :now WHERE id = :id;

-- name: stop_worker
UPDATE workers SET stopped_at = :now WHERE id = :id;

-- name: open_runs
-- "+pipeline_id" keeps SQLite off runs_pipeline (which walks every run of the pipeline for its ORDER BY):
-- the few runs in these statuses come from runs_status, then are sorted.
SELECT * FROM runs WHERE +pipeline_id = :pipeline_id AND status IN ('pending', 'waiting_approval') ORDER BY id;

-- name: insert_token
INSERT INTO tokens (name, role, hash, created_at) VALUES (:name, :role, :hash, :now) RETURNING id;

-- name: token_by_hash
SELECT * FROM tokens WHERE hash = :hash AND revoked_at IS NULL;

-- name: touch_token
UPDATE tokens SET last_used_at = :now WHERE id = :id;

-- name: tokens
SELECT id, name, role, created_at, last_used_at, revoked_at FROM tokens ORDER BY id;

-- name: revoke_token
UPDATE tokens SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL;

-- name: request_cancel
UPDATE runs SET cancel_reason = :reason WHERE id = :id AND status = 'running';

-- name: cancels_for_worker
SELECT id, cancel_reason FROM runs WHERE worker_id = :worker_id AND status = 'running' AND cancel_reason IS NOT NULL;

-- name: queued_runs_on
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.runs_on IN (SELECT value FROM json_each(:accepted))
ORDER BY r.id LIMIT :limit;

-- name: queued_runs_on_of_pipeline
SELECT r.*, (SELECT s.state_files FROM runs s WHERE s.job_id = r.job_id AND s.state_files IS NOT NULL AND s.id < r.id
        ORDER BY s.id DESC LIMIT 1) AS previous_state_files
FROM runs r WHERE r.status = 'queued' AND r.pipeline_id = :pipeline_id
AND r.runs_on IN (SELECT value FROM json_each(:accepted))
ORDER BY r.id LIMIT :limit;

-- name: set_runs_on
UPDATE runs SET runs_on = :runs_on WHERE id = :id;

-- name: scheduler_work
-- Whether the scheduler's tick has anything to recover (running runs or tasks) or promote (pending runs).
SELECT CASE WHEN EXISTS (SELECT 1 FROM runs WHERE status = 'running')
              OR EXISTS (SELECT 1 FROM tasks WHERE status = 'running') THEN 1 ELSE 0 END AS running,
       CASE WHEN EXISTS (SELECT 1 FROM runs WHERE status = 'pending') THEN 1 ELSE 0 END AS pending;

-- name: pipelines_with_pending
SELECT DISTINCT pipeline_id FROM runs WHERE status = 'pending';

-- name: set_job_paused
UPDATE jobs SET paused = :paused WHERE pipeline_id = :pipeline_id AND name = :name;

-- name: job_by_name
SELECT * FROM jobs WHERE pipeline_id = :pipeline_id AND name = :name;

-- name: pipeline_versions
SELECT id, pipeline_id, number, digest, source_file, created_at FROM pipeline_versions
WHERE pipeline_id = :pipeline_id ORDER BY number DESC;

-- Listings by filter: one query per combination, each with its own index, rather than one query with
-- "(:x IS NULL OR col = :x)" terms, which no planner can match to an index (PostgreSQL's generic plan
-- for a prepared statement cannot either): with a million runs, a rare status scanned them all.
-- A job belongs to one pipeline, so a job's filter needs no pipeline term.

-- name: runs_page
SELECT * FROM runs WHERE id < :before ORDER BY id DESC LIMIT :limit;

-- name: runs_with_status
SELECT * FROM runs WHERE status = :status AND id < :before ORDER BY id DESC LIMIT :limit;

-- name: runs_of_pipeline_with_status
SELECT * FROM runs WHERE pipeline_id = :pipeline_id AND status = :status AND id < :before
ORDER BY id DESC LIMIT :limit;

-- name: runs_of_job_with_status
SELECT * FROM runs WHERE job_id = :job_id AND status = :status AND id < :before ORDER BY id DESC LIMIT :limit;

-- name: events_after
SELECT * FROM events WHERE id > :after ORDER BY id LIMIT :limit;

-- name: events_after_of_pipeline
SELECT * FROM events WHERE pipeline_id = :pipeline_id AND id > :after ORDER BY id LIMIT :limit;

-- name: events_after_of_kind
SELECT * FROM events WHERE kind = :kind AND id > :after ORDER BY id LIMIT :limit;

-- name: events_after_of_pipeline_kind
SELECT * FROM events WHERE pipeline_id = :pipeline_id AND kind = :kind AND id > :after ORDER BY id LIMIT :limit;

-- name: events_after_of_run
-- A run has a handful of events: its index finds them, the other terms only filter those.
SELECT * FROM events
WHERE run_id = :run_id AND id > :after
  AND (:pipeline_id IS NULL OR pipeline_id = :pipeline_id)
  AND (:kind IS NULL OR kind = :kind)
ORDER BY id LIMIT :limit;

-- name: workers
SELECT * FROM workers WHERE stopped_at IS NULL OR stopped_at > :since ORDER BY id;

-- name: worker
SELECT * FROM workers WHERE id = :id;

-- name: running_runs_by_worker
-- Every running run with its worker, for the list of workers: one query, not one per worker.
SELECT id, job_name, number, pipeline_id, worker_id FROM runs WHERE status = 'running' ORDER BY id;

-- name: status_counts
SELECT status, count(*) AS n FROM runs WHERE status IN ('pending', 'waiting_approval', 'queued', 'running')
GROUP BY status;

-- name: latest_version_passed
SELECT ri.version_id AS id FROM run_inputs ri JOIN runs r ON r.id = ri.run_id
JOIN resource_versions v ON v.id = ri.version_id
WHERE v.resource_id = :resource_id AND ri.name = :name AND r.status = 'succeeded'
  AND r.job_id IN (SELECT value FROM json_each(:jobs))
GROUP BY ri.version_id HAVING COUNT(DISTINCT r.job_id) = :n
ORDER BY ri.version_id DESC LIMIT 1;

-- name: queue_mark
-- What is queued, summed up: it changes whenever a run or task joins or leaves the queue (ids are never
-- reused, so one leaving and another joining cannot cancel out). A lease long-poll reads this, not a
-- lease transaction, to learn whether another process queued work. Covering reads of the queue's indexes.
SELECT (SELECT count(*) FROM runs WHERE status = 'queued') AS runs,
       (SELECT coalesce(sum(id), 0) FROM runs WHERE status = 'queued') AS run_ids,
       (SELECT count(*) FROM tasks WHERE status = 'queued') AS tasks,
       (SELECT coalesce(sum(id), 0) FROM tasks WHERE status = 'queued') AS task_ids;
