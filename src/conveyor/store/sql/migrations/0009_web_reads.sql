-- The web UI's reads that must not grow with history: the workflow lists (every workflow newest first, a
-- page at a time, keyset on created_at, id, whatever its definition or template) and a version's newest
-- consuming runs (a resource every run reads has as many consumers as the pipeline has runs).

CREATE INDEX sm_workflows_created ON sm_workflows (created_at, id);
CREATE INDEX tink_workflows_created ON tink_workflows (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tink_workflows_template ON tink_workflows (template_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX run_inputs_version_run ON run_inputs (version_id, run_id) WHERE version_id IS NOT NULL;
-- ... which also answers every lookup by version the older index served: one index, not two, per input
DROP INDEX run_inputs_version;
