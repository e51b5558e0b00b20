-- Reads for the web UI's pages: each answers one page in one statement, so no page issues a query per
-- row. Ids lists are JSON arrays here (json_each); queries_web.postgres.sql takes them as arrays.

-- name: web_pipeline_mark
SELECT (SELECT coalesce(max(id), 0) FROM runs WHERE pipeline_id = :pipeline_id) AS last_run,
       (SELECT coalesce(max(id), 0) FROM events WHERE pipeline_id = :pipeline_id) AS last_event;

-- name: web_latest_run_states
-- latest_runs_per_job with only what a picture shows: no JSON columns to send and decode
SELECT r.id, r.job_id, r.job_name, r.number, r.status, r.started_at
FROM jobs j JOIN runs r ON r.id = (SELECT max(id) FROM runs WHERE job_id = j.id)
WHERE j.pipeline_id = :pipeline_id;

-- name: web_latest_started_runs
SELECT j.value AS job_id,
       (SELECT max(id) FROM runs r WHERE r.job_id = j.value AND r.started_at IS NOT NULL) AS id
FROM json_each(:ids) j;

-- name: web_inputs_of_runs
SELECT i.run_id, i.name, i.kind, i.version_id, i.upstream_run_id, v.number AS version_number,
       u.number AS upstream_number, u.job_name AS upstream_job
FROM run_inputs i
LEFT JOIN resource_versions v ON v.id = i.version_id
LEFT JOIN runs u ON u.id = i.upstream_run_id
WHERE i.run_id IN (SELECT value FROM json_each(:ids))
ORDER BY i.run_id, i.name;

-- name: web_run_lineage
SELECT i.name, i.kind, i.version_id, i.upstream_run_id, v.number AS version_number, v.digest AS version_digest,
       v.created_by, v.creator, v.run_id AS producer_run_id, p.job_name AS producer_job,
       p.number AS producer_number, u.job_name AS upstream_job, u.number AS upstream_number,
       u.status AS upstream_status
FROM run_inputs i
LEFT JOIN resource_versions v ON v.id = i.version_id
LEFT JOIN runs p ON p.id = v.run_id
LEFT JOIN runs u ON u.id = i.upstream_run_id
WHERE i.run_id = :run_id ORDER BY i.name;

-- name: web_consumers
-- per version, once (materialized): how many runs read it (counted in the index) and the run id ``skip``
-- places below its newest consumer (one seek in run_inputs_version_run); then only the runs from there up,
-- never all of a version's consumers (a resource every run reads has as many as the pipeline has runs)
WITH b AS MATERIALIZED (
    SELECT v.value AS version_id,
           (SELECT count(*) FROM run_inputs c WHERE c.version_id = v.value) AS total,
           coalesce((SELECT n.run_id FROM run_inputs n WHERE n.version_id = v.value
                     ORDER BY n.run_id DESC LIMIT 1 OFFSET :skip), 0) AS low
    FROM json_each(:ids) v
)
SELECT b.version_id, r.id, r.job_name, r.number, r.status, b.total
FROM b
JOIN run_inputs i ON i.version_id = b.version_id AND i.run_id >= b.low
JOIN runs r ON r.id = i.run_id
ORDER BY b.version_id, r.id DESC;

-- name: web_timed_logs
SELECT seq, data, created_at FROM run_logs WHERE run_id = :run_id AND seq > :after ORDER BY seq LIMIT :limit;
