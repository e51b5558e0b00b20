-- State-machine workflows, their definitions, timers and state resources; tasks for workers.

-- name: sm_insert_definition
INSERT INTO sm_definitions (uid, name, version, manager, state_machine, default_tags, created_at)
VALUES (:uid, :name, :version, :manager, :state_machine, :default_tags, :now) RETURNING id;

-- name: sm_definition
SELECT * FROM sm_definitions WHERE name = :name AND version = :version;

-- name: sm_definition_by_id
SELECT * FROM sm_definitions WHERE id = :id;

-- name: sm_latest_definition
SELECT * FROM sm_definitions WHERE name = :name ORDER BY version DESC LIMIT 1;

-- name: sm_definition_versions
SELECT * FROM sm_definitions WHERE name = :name ORDER BY version;

-- name: sm_latest_definitions
SELECT d.* FROM sm_definitions d
JOIN (SELECT name, MAX(version) AS version FROM sm_definitions GROUP BY name) m
  ON m.name = d.name AND m.version = d.version
ORDER BY d.name;

-- name: sm_insert_workflow
INSERT INTO sm_workflows (uid, definition_id, definition_name, status, namespace, queue, input, tags,
                          retry_for, start_at, execution, created_at, last_updated)
VALUES (:uid, :definition_id, :definition_name, :status, :namespace, :queue, :input, :tags,
        :retry_for, :start_at, :execution, :now, :now)
RETURNING id;

-- name: sm_workflow
SELECT * FROM sm_workflows WHERE uid = :uid;

-- name: sm_workflow_for_update
SELECT * FROM sm_workflows WHERE id = :id;

-- name: sm_save_workflow
UPDATE sm_workflows SET status = :status, status_reason = :status_reason, output = :output, error = :error,
       cause = :cause, execution = :execution, last_updated = :now, stopped_at = :stopped_at,
       resolved_by_user = :resolved_by_user, revision = revision + 1, dirty = 0, advanced_at = :now
WHERE id = :id
RETURNING revision;

-- name: sm_set_dirty
UPDATE sm_workflows SET dirty = 1 WHERE id = :id;

-- name: sm_dirty_workflows
SELECT id FROM sm_workflows WHERE dirty = 1 ORDER BY id LIMIT :limit;

-- name: sm_has_queued_tasks
SELECT 1 AS found FROM tasks WHERE workflow_id = :workflow_id AND status = 'queued' LIMIT 1;

-- name: tasks_untold
SELECT t.*, w.name AS worker_name FROM tasks t LEFT JOIN workers w ON w.id = t.worker_id
WHERE t.workflow_id = :workflow_id AND t.told <> 'done' AND t.status <> 'queued' ORDER BY t.id;

-- name: task_told
UPDATE tasks SET told = :told WHERE id = :id;

-- name: task_set_outcome
UPDATE tasks SET outcome = :outcome WHERE id = :id;

-- name: sm_set_cancel
UPDATE sm_workflows SET cancel_reason = :reason, status_reason = :reason, resolved_by_user = 1,
       last_updated = :now
WHERE id = :id;

-- name: sm_set_resolved
UPDATE sm_workflows SET resolved_by_user = 1, last_updated = :now WHERE id = :id;

-- name: sm_set_retries
UPDATE sm_workflows SET retries = :retries, last_updated = :now WHERE id = :id;

-- name: sm_workflows_page
SELECT * FROM sm_workflows
WHERE definition_name = :name
  AND (CAST(:status AS TEXT) IS NULL OR status = :status)
  AND (CAST(:resolved AS INTEGER) IS NULL OR resolved_by_user = :resolved)
  AND (created_at < :at OR (created_at = :at AND id < :id))
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: sm_workflows_page_oldest
SELECT * FROM sm_workflows
WHERE definition_name = :name
  AND (CAST(:status AS TEXT) IS NULL OR status = :status)
  AND (CAST(:resolved AS INTEGER) IS NULL OR resolved_by_user = :resolved)
  AND (created_at > :at OR (created_at = :at AND id > :id))
ORDER BY created_at, id LIMIT :limit;

-- name: sm_active_workflows
SELECT id FROM sm_workflows WHERE status IN ('queued', 'running') ORDER BY id;

-- name: sm_insert_timer
INSERT INTO sm_timers (workflow_id, token, at) VALUES (:workflow_id, :token, :at)
ON CONFLICT (workflow_id, token) DO UPDATE SET at = excluded.at;

-- name: sm_delete_timer
DELETE FROM sm_timers WHERE workflow_id = :workflow_id AND token = :token;

-- name: sm_delete_timers
DELETE FROM sm_timers WHERE workflow_id = :workflow_id;

-- name: sm_due_timers
SELECT * FROM sm_timers WHERE at <= :now ORDER BY at LIMIT :limit;

-- name: sm_next_timer
SELECT MIN(at) AS at FROM sm_timers;

-- name: sm_next_timer_of
SELECT MIN(at) AS at FROM sm_timers WHERE workflow_id = :workflow_id;

-- name: sm_put_state_resource
INSERT INTO sm_state_resources (namespace, name, uri, type, runs_on, last_updated)
VALUES (:namespace, :name, :uri, :type, :runs_on, :now)
ON CONFLICT (namespace, name) DO UPDATE
SET uri = excluded.uri, type = excluded.type, runs_on = excluded.runs_on, last_updated = excluded.last_updated;

-- name: sm_state_resource
SELECT * FROM sm_state_resources WHERE namespace = :namespace AND name = :name;

-- name: sm_delete_state_resource
DELETE FROM sm_state_resources WHERE namespace = :namespace AND name = :name;

-- name: task_insert
INSERT INTO tasks (kind, workflow_id, token, label, status, runs_on, spec, created_at)
VALUES (:kind, :workflow_id, :token, :label, :status, :runs_on, :spec, :now)
ON CONFLICT (workflow_id, token) DO NOTHING
RETURNING id;

-- name: task
SELECT * FROM tasks WHERE id = :id;

-- name: task_by_token
SELECT * FROM tasks WHERE workflow_id = :workflow_id AND token = :token;

-- name: tasks_queued
SELECT * FROM tasks WHERE status = 'queued' ORDER BY id LIMIT :limit;

-- name: tasks_queued_of_workflow
SELECT * FROM tasks WHERE status = 'queued' AND workflow_id = :workflow_id ORDER BY id LIMIT :limit;

-- name: tasks_queued_on
SELECT * FROM tasks WHERE status = 'queued' AND runs_on IN (SELECT value FROM json_each(:accepted))
ORDER BY id LIMIT :limit;

-- name: task_start
UPDATE tasks SET status = 'running', worker_id = :worker_id, started_at = :now, lease_expires_at = :lease
WHERE id = :id AND status = 'queued';

-- name: task_finish
UPDATE tasks SET status = :status, result = :result, finished_at = :now, lease_expires_at = NULL
WHERE id = :id;

-- name: task_requeue
UPDATE tasks SET status = 'queued', worker_id = NULL, lease_expires_at = NULL, started_at = NULL,
       attempt = attempt + 1
WHERE id = :id;

-- name: tasks_running_of_worker
SELECT id FROM tasks WHERE worker_id = :worker_id AND status = 'running';

-- name: task_cancel
UPDATE tasks SET cancel_reason = :reason WHERE id = :id;

-- name: tasks_running
SELECT t.id, t.workflow_id, t.token, t.spec, t.lease_expires_at, t.attempt, w.hostname, w.pid
FROM tasks t LEFT JOIN workers w ON w.id = t.worker_id
WHERE t.status = 'running' ORDER BY t.id;

-- name: task_cancels_for_worker
SELECT id, cancel_reason FROM tasks
WHERE worker_id = :worker_id AND status = 'running' AND cancel_reason IS NOT NULL;

-- name: task_extend_leases
UPDATE tasks SET lease_expires_at = :lease WHERE worker_id = :worker_id AND status = 'running';

-- name: tasks_of_workflow
SELECT t.id, t.token, t.label, t.status, t.attempt, t.worker_id, w.name AS worker, t.created_at, t.started_at,
       t.finished_at
FROM tasks t LEFT JOIN workers w ON w.id = t.worker_id
WHERE t.workflow_id = :workflow_id ORDER BY t.id;

-- name: task_log_append
INSERT INTO task_logs (task_id, seq, data, created_at)
VALUES (:task_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_logs WHERE task_id = :task_id), :data, :now);

-- name: task_log
SELECT data FROM task_logs WHERE task_id = :task_id ORDER BY seq;

-- name: sm_workflows_page_all
SELECT * FROM sm_workflows
WHERE (CAST(:status AS TEXT) IS NULL OR status = :status)
  AND (created_at < :at OR (created_at = :at AND id < :id))
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: sm_definitions_by_ids
SELECT * FROM sm_definitions WHERE id IN (SELECT value FROM json_each(:ids));
