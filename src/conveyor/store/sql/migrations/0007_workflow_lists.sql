-- The web UI's workflow lists: every workflow newest first, a page at a time (keyset on created_at, id),
-- whatever its definition or template; and a template's workflows for the list's filter.

CREATE INDEX sm_workflows_created ON sm_workflows (created_at, id);
CREATE INDEX tink_workflows_created ON tink_workflows (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX tink_workflows_template ON tink_workflows (template_id, created_at, id) WHERE deleted_at IS NULL;
