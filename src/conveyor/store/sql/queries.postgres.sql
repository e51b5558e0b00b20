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

-- name: queued_runs_on
SELECT * FROM runs WHERE status = 'queued' AND runs_on = ANY(:accepted)
ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: queued_runs_on_of_pipeline
SELECT * FROM runs WHERE status = 'queued' AND pipeline_id = :pipeline_id AND runs_on = ANY(:accepted)
ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: runs_filtered
SELECT * FROM runs
WHERE (CAST(:pipeline_id AS BIGINT) IS NULL OR pipeline_id = :pipeline_id)
  AND (CAST(:job_id AS BIGINT) IS NULL OR job_id = :job_id)
  AND (CAST(:status AS TEXT) IS NULL OR status = :status)
  AND id < :before
ORDER BY id DESC LIMIT :limit;

-- name: events_after
SELECT * FROM events
WHERE id > :after
  AND (CAST(:pipeline_id AS BIGINT) IS NULL OR pipeline_id = :pipeline_id)
  AND (CAST(:run_id AS BIGINT) IS NULL OR run_id = :run_id)
  AND (CAST(:kind AS TEXT) IS NULL OR kind = :kind)
ORDER BY id LIMIT :limit;

-- name: latest_version_passed
SELECT ri.version_id AS id FROM run_inputs ri JOIN runs r ON r.id = ri.run_id
JOIN resource_versions v ON v.id = ri.version_id
WHERE v.resource_id = :resource_id AND ri.name = :name AND r.status = 'succeeded'
  AND r.job_id = ANY(:jobs)
GROUP BY ri.version_id HAVING COUNT(DISTINCT r.job_id) = :n
ORDER BY ri.version_id DESC LIMIT 1;
