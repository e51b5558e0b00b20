-- conveyor schema, version 1. Written once for both dialects: the loader swaps the few type names
-- that differ ({id}, {real}, {blob}) so SQLite and PostgreSQL always have the same tables.

CREATE TABLE pipelines (
    id {id},
    name TEXT NOT NULL UNIQUE,
    current_version INTEGER NOT NULL DEFAULT 0,
    paused INTEGER NOT NULL DEFAULT 0,
    created_at {real} NOT NULL
);

CREATE TABLE pipeline_versions (
    id {id},
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
    number INTEGER NOT NULL,
    digest TEXT NOT NULL,
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    source_file TEXT NOT NULL,
    created_at {real} NOT NULL,
    UNIQUE (pipeline_id, number)
);

CREATE TABLE resources (
    id {id},
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    declared_digest TEXT NOT NULL DEFAULT '',
    last_version INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (pipeline_id, name)
);

CREATE TABLE resource_versions (
    id {id},
    resource_id BIGINT NOT NULL REFERENCES resources (id),
    number INTEGER NOT NULL,
    digest TEXT NOT NULL,
    properties TEXT NOT NULL,
    files TEXT NOT NULL,
    created_by TEXT NOT NULL,
    creator TEXT NOT NULL,
    run_id BIGINT,
    created_at {real} NOT NULL,
    UNIQUE (resource_id, number)
);
CREATE INDEX resource_versions_run ON resource_versions (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data {blob} NOT NULL
);

CREATE TABLE jobs (
    id {id},
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
    name TEXT NOT NULL,
    digest TEXT NOT NULL,
    last_run_number INTEGER NOT NULL DEFAULT 0,
    paused INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (pipeline_id, name)
);

CREATE TABLE workers (
    id {id},
    name TEXT NOT NULL,
    hostname TEXT NOT NULL,
    pid INTEGER NOT NULL,
    labels TEXT NOT NULL,
    started_at {real} NOT NULL,
    heartbeat_at {real} NOT NULL,
    stopped_at {real}
);

CREATE TABLE runs (
    id {id},
    pipeline_id BIGINT NOT NULL REFERENCES pipelines (id),
    pipeline_version INTEGER NOT NULL,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    job_name TEXT NOT NULL,
    number INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    retry_of BIGINT,
    status TEXT NOT NULL,
    causes TEXT NOT NULL,
    inputs_pinned INTEGER NOT NULL DEFAULT 0,
    approved INTEGER NOT NULL DEFAULT 0,
    not_before {real} NOT NULL DEFAULT 0,
    created_at {real} NOT NULL,
    queued_at {real},
    started_at {real},
    finished_at {real},
    worker_id BIGINT,
    lease_expires_at {real},
    exit_code INTEGER,
    message TEXT NOT NULL DEFAULT '',
    properties TEXT NOT NULL DEFAULT '{}',
    state_files TEXT,
    steps TEXT NOT NULL DEFAULT '[]',
    UNIQUE (job_id, number, attempt)
);
CREATE INDEX runs_active ON runs (pipeline_id, status)
    WHERE status IN ('pending', 'waiting_approval', 'queued', 'running');
CREATE INDEX runs_queued ON runs (id) WHERE status = 'queued';
CREATE INDEX runs_job ON runs (job_id, id);
CREATE INDEX runs_job_succeeded ON runs (job_id, id) WHERE status = 'succeeded';
CREATE INDEX runs_job_state ON runs (job_id, id) WHERE state_files IS NOT NULL;
CREATE INDEX runs_pipeline ON runs (pipeline_id, id);

CREATE TABLE run_inputs (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    version_id BIGINT,
    upstream_run_id BIGINT,
    PRIMARY KEY (run_id, name)
);
CREATE INDEX run_inputs_version ON run_inputs (version_id) WHERE version_id IS NOT NULL;

CREATE TABLE run_logs (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    seq INTEGER NOT NULL,
    data {blob} NOT NULL,
    created_at {real} NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE events (
    id {id},
    at {real} NOT NULL,
    kind TEXT NOT NULL,
    pipeline_id BIGINT,
    run_id BIGINT,
    data TEXT NOT NULL
);
CREATE INDEX events_run ON events (run_id) WHERE run_id IS NOT NULL;
