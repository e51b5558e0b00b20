-- Indexes for a store with years of history (a million runs and events): what bench/scale.py showed
-- scanning. The same DDL serves SQLite and PostgreSQL.

-- A trigger looks for the job's run not started yet, to add its cause to (pending_run_of_job). Through
-- runs_pipeline that walked back over every finished run of the pipeline when the job had none
-- (0.8 s at a million runs). Partial, so it holds only the few runs waiting; its condition is written as
-- the query's is, which is what lets SQLite use it.
CREATE INDEX runs_open_of_job ON runs (job_id, id) WHERE status IN ('pending', 'waiting_approval', 'queued');

-- A job's runs in one status, newest first (runs_of_job_with_status: the API's and the job page's
-- filter; the status-only index made it read every run of that status of every job).
CREATE INDEX runs_job_status ON runs (job_id, status, id);

-- A pipeline's events of one kind (events_after_of_pipeline_kind): through events_pipeline a rare kind
-- read every event of the pipeline.
CREATE INDEX events_pipeline_kind ON events (pipeline_id, kind, id);
