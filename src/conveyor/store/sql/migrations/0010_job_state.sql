-- A leased run starts from the state its job's latest run left. 0007 dropped this index on the grounds
-- that nearly every finished run keeps state ('{}' at least), so a job's runs index finds the last one
-- at once; but runs cancelled before starting, errored by recovery, or loaded as history keep none, and
-- then that lookup walked back over every run of the job (bench/scale.py: 20 ms a lease with 5,000 runs
-- per job). Only finished runs with state are in it: one more page in a completion's commit.

CREATE INDEX runs_job_state ON runs (job_id, id) WHERE state_files IS NOT NULL;
