-- PostgreSQL variants: row locks so several server replicas can share one database.

-- name: sm_workflow_for_update
SELECT * FROM sm_workflows WHERE id = :id FOR UPDATE;

-- name: sm_due_timers
SELECT * FROM sm_timers WHERE at <= :now ORDER BY at LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: tasks_queued
SELECT * FROM tasks WHERE status = 'queued' ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: tasks_queued_of_workflow
SELECT * FROM tasks WHERE status = 'queued' AND workflow_id = :workflow_id ORDER BY id LIMIT :limit
FOR UPDATE SKIP LOCKED;

-- name: tasks_queued_on
SELECT * FROM tasks WHERE status = 'queued' AND runs_on = ANY(:accepted)
ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: sm_dirty_workflows
SELECT id FROM sm_workflows WHERE dirty = 1 ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED;

-- name: sm_definitions_by_ids
SELECT * FROM sm_definitions WHERE id = ANY(:ids);
