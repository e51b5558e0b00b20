-- PostgreSQL bulk loading: COPY, the same columns in the same order as queries_bulk.sql.

-- name: bulk_versions
COPY resource_versions (id, resource_id, number, digest, properties, files, created_by, creator, run_id,
                        created_at) FROM STDIN;

-- name: bulk_runs
COPY runs (id, pipeline_id, pipeline_version, job_id, job_name, number, attempt, status, causes,
           created_at, queued_at, started_at, finished_at, worker_id, lease_expires_at, exit_code,
           message, properties, steps, runs_on, not_before) FROM STDIN;

-- name: bulk_run_inputs
COPY run_inputs (run_id, name, kind, version_id, upstream_run_id) FROM STDIN;

-- name: bulk_events
COPY events (id, at, kind, pipeline_id, run_id, data) FROM STDIN;

-- name: bulk_sync_ids
-- Ids given by COPY leave the identity sequences behind: move each past the largest id.
SELECT setval(pg_get_serial_sequence('runs', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM runs), false),
       setval(pg_get_serial_sequence('events', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM events), false),
       setval(pg_get_serial_sequence('resource_versions', 'id'),
              (SELECT coalesce(max(id), 0) + 1 FROM resource_versions), false);

-- name: bulk_analyze
-- What autovacuum does soon after a table grows by a tenth; done at once so the plans measured are those.
ANALYZE;
