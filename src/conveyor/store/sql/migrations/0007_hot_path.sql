-- Fewer, better indexes on runs, so each completion costs the same with 10 runs or 1,000,000.
-- Every index a run's status change touches is B-tree work and a dirty page in the commit, so the
-- three partial indexes 0001/0002 kept for pending, queued and active runs become one index that
-- answers all three per pipeline (SQLite uses a partial index only for its exact WHERE). Added: the
-- open run of a job a trigger joins (was a scan of the pipeline's runs).

DROP INDEX runs_active;
DROP INDEX runs_pending;
DROP INDEX runs_queued;
-- nearly every finished run has state ('{}' at least): a job's runs index finds the last one as fast
DROP INDEX runs_job_state;
CREATE INDEX runs_pipeline_status ON runs (pipeline_id, status, id);
CREATE INDEX runs_open_of_job ON runs (job_id, id) WHERE status IN ('pending', 'waiting_approval', 'queued');
