-- PostgreSQL variants of the web UI's reads: id lists arrive as arrays.

-- name: web_inputs_of_runs
SELECT i.run_id, i.name, i.kind, i.version_id, i.upstream_run_id, v.number AS version_number,
       u.number AS upstream_number, u.job_name AS upstream_job
FROM run_inputs i
LEFT JOIN resource_versions v ON v.id = i.version_id
LEFT JOIN runs u ON u.id = i.upstream_run_id
WHERE i.run_id = ANY(:ids)
ORDER BY i.run_id, i.name;

-- name: web_consumers
-- per version, once (materialized): how many runs read it (counted in the index) and the run id ``skip``
-- places below its newest consumer (one seek in run_inputs_version_run); then only the runs from there up,
-- never all of a version's consumers (a resource every run reads has as many as the pipeline has runs)
WITH b AS MATERIALIZED (
    SELECT v.value AS version_id,
           (SELECT count(*) FROM run_inputs c WHERE c.version_id = v.value) AS total,
           coalesce((SELECT n.run_id FROM run_inputs n WHERE n.version_id = v.value
                     ORDER BY n.run_id DESC LIMIT 1 OFFSET :skip), 0) AS low
    FROM unnest(CAST(:ids AS BIGINT[])) AS v(value)
)
SELECT b.version_id, r.id, r.job_name, r.number, r.status, b.total
FROM b
JOIN run_inputs i ON i.version_id = b.version_id AND i.run_id >= b.low
JOIN runs r ON r.id = i.run_id
ORDER BY b.version_id, r.id DESC;

-- name: web_latest_run_states
SELECT r.id, r.job_id, r.job_name, r.number, r.status, r.started_at FROM jobs j
CROSS JOIN LATERAL (SELECT id, job_id, job_name, number, status, started_at FROM runs WHERE job_id = j.id
                    ORDER BY id DESC LIMIT 1) r
WHERE j.pipeline_id = :pipeline_id;

-- name: web_latest_started_runs
SELECT j.id AS job_id, m.id
FROM unnest(CAST(:ids AS BIGINT[])) AS j(id)
CROSS JOIN LATERAL (SELECT id FROM runs WHERE job_id = j.id AND started_at IS NOT NULL
                    ORDER BY id DESC LIMIT 1) m;
