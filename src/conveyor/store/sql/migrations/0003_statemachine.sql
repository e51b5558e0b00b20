-- State-machine workflows (Clever workflow-manager's model, run by conveyor itself), and tasks: work for
-- the same workers that run pipeline jobs, but not a pipeline's run (a Task state's command, say).

CREATE TABLE sm_definitions (
    id {id},
    uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    manager TEXT NOT NULL,
    state_machine TEXT NOT NULL,
    default_tags TEXT NOT NULL,
    created_at {real} NOT NULL,
    UNIQUE (name, version)
);

CREATE TABLE sm_workflows (
    id {id},
    uid TEXT NOT NULL UNIQUE,
    definition_id BIGINT NOT NULL REFERENCES sm_definitions (id),
    definition_name TEXT NOT NULL,
    status TEXT NOT NULL,
    namespace TEXT NOT NULL,
    queue TEXT NOT NULL,
    input TEXT NOT NULL,
    tags TEXT NOT NULL,
    resolved_by_user INTEGER NOT NULL DEFAULT 0,
    retry_for TEXT NOT NULL DEFAULT '',
    retries TEXT NOT NULL DEFAULT '[]',
    status_reason TEXT,
    cancel_reason TEXT,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_at TEXT,
    execution TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 0,
    dirty INTEGER NOT NULL DEFAULT 0,
    advanced_at {real} NOT NULL DEFAULT 0,
    created_at {real} NOT NULL,
    last_updated {real} NOT NULL,
    stopped_at {real}
);
CREATE INDEX sm_workflows_by_definition ON sm_workflows (definition_name, created_at, id);
CREATE INDEX sm_workflows_active ON sm_workflows (id) WHERE status IN ('queued', 'running');
CREATE INDEX sm_workflows_dirty ON sm_workflows (id) WHERE dirty = 1;

CREATE TABLE sm_timers (
    workflow_id BIGINT NOT NULL REFERENCES sm_workflows (id),
    token TEXT NOT NULL,
    at {real} NOT NULL,
    PRIMARY KEY (workflow_id, token)
);
CREATE INDEX sm_timers_at ON sm_timers (at);

CREATE TABLE sm_state_resources (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uri TEXT NOT NULL,
    type TEXT NOT NULL,
    runs_on TEXT NOT NULL DEFAULT '',
    last_updated {real} NOT NULL,
    PRIMARY KEY (namespace, name)
);

CREATE TABLE tasks (
    id {id},
    kind TEXT NOT NULL,
    workflow_id BIGINT NOT NULL,
    token TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    runs_on TEXT NOT NULL DEFAULT '',
    spec TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    worker_id BIGINT,
    lease_expires_at {real},
    cancel_reason TEXT,
    result TEXT,
    -- what the execution has been told: '' nothing yet, 'started', 'done' (reports go in batches)
    told TEXT NOT NULL DEFAULT '',
    outcome TEXT,
    created_at {real} NOT NULL,
    started_at {real},
    finished_at {real},
    UNIQUE (workflow_id, token)
);
CREATE INDEX tasks_queued ON tasks (runs_on, id) WHERE status = 'queued';
CREATE INDEX tasks_running ON tasks (id) WHERE status = 'running';
CREATE INDEX tasks_workflow ON tasks (workflow_id, id);
CREATE INDEX tasks_untold ON tasks (workflow_id, id) WHERE told <> 'done' AND status <> 'queued';
CREATE INDEX tasks_queued_of ON tasks (workflow_id) WHERE status = 'queued';

CREATE TABLE task_logs (
    task_id BIGINT NOT NULL REFERENCES tasks (id),
    seq INTEGER NOT NULL,
    data {blob} NOT NULL,
    created_at {real} NOT NULL,
    PRIMARY KEY (task_id, seq)
);
