-- Indexes for a store with years of history (a million runs and events): what bench/scale.py showed
-- scanning. The same DDL serves SQLite and PostgreSQL. (The trigger's lookup of a job's open run,
-- which walked back over every finished run of the pipeline, got runs_open_of_job in 0007.)

-- A job's runs in one status, newest first (runs_of_job_with_status: the API's and the job page's
-- filter; the status-only index made it read every run of that status of every job).
CREATE INDEX runs_job_status ON runs (job_id, status, id);
