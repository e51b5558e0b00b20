-- Tinkerbell: templates (soft delete, a live name is unique), hardware (with an address index for
-- MAC/IP lookups), workflows (an immutable rendered copy plus their mutable state), events, ephemeral data.

CREATE TABLE tink_templates (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at {real} NOT NULL,
    updated_at {real} NOT NULL,
    deleted_at {real}
);
CREATE UNIQUE INDEX uidx_template_name ON tink_templates (name) WHERE deleted_at IS NULL;

CREATE TABLE tink_hardware (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    inserted_at {real} NOT NULL,
    deleted_at {real}
);

-- Every MAC ('mac') and IP ('ip') a live hardware record answers to, in the record's order.
CREATE TABLE tink_hardware_addresses (
    hardware_id TEXT NOT NULL REFERENCES tink_hardware (id),
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (hardware_id, kind, position)
);
CREATE INDEX tink_hardware_addresses_lookup ON tink_hardware_addresses (kind, address);

CREATE TABLE tink_workflows (
    id TEXT PRIMARY KEY,
    template_id TEXT NOT NULL,
    hardware TEXT NOT NULL,
    -- the immutable workflow (rendered YAML and action list) as JSON
    definition TEXT NOT NULL,
    -- the mutable WorkflowState as JSON, and what is derived from it for indexed lookups
    state TEXT NOT NULL,
    status INTEGER NOT NULL,
    turn TEXT,
    deadline {real},
    created_at {real} NOT NULL,
    updated_at {real} NOT NULL,
    deleted_at {real}
);
CREATE INDEX tink_workflows_turn ON tink_workflows (turn) WHERE turn IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX tink_workflows_deadline ON tink_workflows (deadline) WHERE deadline IS NOT NULL;

CREATE TABLE tink_workflow_workers (
    worker_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL REFERENCES tink_workflows (id),
    PRIMARY KEY (worker_id, workflow_id)
);

CREATE TABLE tink_workflow_events (
    id {id},
    workflow_id TEXT NOT NULL REFERENCES tink_workflows (id),
    worker_id TEXT NOT NULL,
    task_name TEXT NOT NULL,
    action_name TEXT NOT NULL,
    seconds BIGINT NOT NULL,
    message TEXT NOT NULL,
    status INTEGER NOT NULL,
    created_at {real} NOT NULL
);
CREATE INDEX tink_workflow_events_of ON tink_workflow_events (workflow_id, id);

CREATE TABLE tink_workflow_data (
    workflow_id TEXT NOT NULL REFERENCES tink_workflows (id),
    version INTEGER NOT NULL,
    metadata TEXT NOT NULL,
    data {blob},
    created_at {real} NOT NULL,
    PRIMARY KEY (workflow_id, version)
);
