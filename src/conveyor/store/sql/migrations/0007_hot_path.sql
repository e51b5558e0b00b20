-- Indexes for what every completion asks, so each answer costs the same with 10 runs or 1,000,000:
-- the open run of a job a trigger joins, the queued runs of one pipeline (`conveyor run` leases only
-- its own), and the paused jobs the scheduler skips. Partial: a row enters them only while open.

CREATE INDEX runs_open_of_job ON runs (job_id, id) WHERE status IN ('pending', 'waiting_approval', 'queued');
CREATE INDEX runs_queued_of_pipeline ON runs (pipeline_id, id) WHERE status = 'queued';
CREATE INDEX jobs_paused ON jobs (pipeline_id) WHERE paused = 1;
