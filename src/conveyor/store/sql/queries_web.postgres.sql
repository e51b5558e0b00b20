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
SELECT version_id, id, job_name, number, status, total FROM (
    SELECT i.version_id, r.id, r.job_name, r.number, r.status,
           row_number() OVER (PARTITION BY i.version_id ORDER BY r.id DESC) AS rank,
           count(*) OVER (PARTITION BY i.version_id) AS total
    FROM run_inputs i JOIN runs r ON r.id = i.run_id
    WHERE i.version_id = ANY(:ids)
) x WHERE rank <= :per_version ORDER BY version_id, id DESC;
