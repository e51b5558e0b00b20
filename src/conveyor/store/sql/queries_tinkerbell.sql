-- Tinkerbell: templates, hardware, workflows, their events and ephemeral data (tx_tinkerbell.py).

-- name: tink_template_by_id
SELECT * FROM tink_templates WHERE id = :id AND deleted_at IS NULL;

-- name: tink_template_by_name
SELECT * FROM tink_templates WHERE name = :name AND deleted_at IS NULL;

-- name: tink_templates_like
SELECT * FROM tink_templates WHERE deleted_at IS NULL AND lower(name) LIKE lower(:pattern) ESCAPE '\'
ORDER BY created_at, id;

-- name: tink_insert_template
INSERT INTO tink_templates (id, name, data, created_at, updated_at)
VALUES (:id, :name, :data, :created_at, :updated_at);

-- name: tink_update_template
UPDATE tink_templates SET name = :name, data = :data, updated_at = :updated_at, deleted_at = :deleted_at
WHERE id = :id;

-- name: tink_hardware_by_id
SELECT * FROM tink_hardware WHERE id = :id;

-- name: tink_hardware_live
SELECT * FROM tink_hardware WHERE deleted_at IS NULL ORDER BY inserted_at, id;

-- name: tink_hardware_by_address
SELECT h.* FROM tink_hardware h
JOIN tink_hardware_addresses a ON a.hardware_id = h.id
WHERE a.kind = :kind AND a.address = :address AND h.deleted_at IS NULL
ORDER BY h.inserted_at, h.id;

-- name: tink_upsert_hardware
INSERT INTO tink_hardware (id, data, inserted_at, deleted_at) VALUES (:id, :data, :inserted_at, NULL)
ON CONFLICT (id) DO UPDATE SET data = excluded.data, inserted_at = excluded.inserted_at, deleted_at = NULL;

-- name: tink_delete_hardware
UPDATE tink_hardware SET deleted_at = :deleted_at WHERE id = :id;

-- name: tink_clear_addresses
DELETE FROM tink_hardware_addresses WHERE hardware_id = :hardware_id;

-- name: tink_insert_address
INSERT INTO tink_hardware_addresses (hardware_id, kind, address, position)
VALUES (:hardware_id, :kind, :address, :position);

-- name: tink_insert_workflow
INSERT INTO tink_workflows
    (id, template_id, hardware, definition, state, status, turn, deadline, created_at, updated_at)
VALUES (:id, :template_id, :hardware, :definition, :state, :status, :turn, :deadline, :now, :now);

-- name: tink_workflow
SELECT * FROM tink_workflows WHERE id = :id AND deleted_at IS NULL;

-- name: tink_workflow_for_update
SELECT * FROM tink_workflows WHERE id = :id AND deleted_at IS NULL;

-- name: tink_workflows
SELECT * FROM tink_workflows WHERE deleted_at IS NULL ORDER BY created_at, id;

-- name: tink_set_workflow_state
UPDATE tink_workflows SET state = :state, status = :status, turn = :turn, deadline = :deadline, updated_at = :now
WHERE id = :id;

-- name: tink_delete_workflow
UPDATE tink_workflows SET deleted_at = :now, turn = NULL, deadline = NULL WHERE id = :id;

-- name: tink_insert_worker_map
INSERT INTO tink_workflow_workers (worker_id, workflow_id) VALUES (:worker_id, :workflow_id)
ON CONFLICT DO NOTHING;

-- name: tink_delete_worker_map
DELETE FROM tink_workflow_workers WHERE workflow_id = :workflow_id;

-- name: tink_workflows_of_worker
SELECT w.* FROM tink_workflows w JOIN tink_workflow_workers m ON m.workflow_id = w.id
WHERE m.worker_id = :worker_id AND w.deleted_at IS NULL ORDER BY w.created_at, w.id;

-- name: tink_workflows_turn
SELECT * FROM tink_workflows WHERE turn = :worker_id AND deleted_at IS NULL ORDER BY created_at, id;

-- name: tink_workflows_due
SELECT * FROM tink_workflows WHERE deadline IS NOT NULL AND deadline <= :now AND deleted_at IS NULL
ORDER BY deadline LIMIT :limit;

-- name: tink_insert_event
INSERT INTO tink_workflow_events
    (workflow_id, worker_id, task_name, action_name, seconds, message, status, created_at)
VALUES (:workflow_id, :worker_id, :task_name, :action_name, :seconds, :message, :status, :created_at);

-- name: tink_events
SELECT * FROM tink_workflow_events WHERE workflow_id = :workflow_id ORDER BY created_at, id;

-- name: tink_data_versions
SELECT workflow_id, version, metadata FROM tink_workflow_data WHERE workflow_id = :workflow_id ORDER BY version;

-- name: tink_data_version
SELECT * FROM tink_workflow_data WHERE workflow_id = :workflow_id AND version = :version;

-- name: tink_data_latest
SELECT * FROM tink_workflow_data WHERE workflow_id = :workflow_id ORDER BY version DESC LIMIT 1;

-- name: tink_insert_data
INSERT INTO tink_workflow_data (workflow_id, version, metadata, data, created_at)
VALUES (:workflow_id, :version, :metadata, :data, :now);

-- name: tink_drop_data
UPDATE tink_workflow_data SET data = NULL WHERE workflow_id = :workflow_id AND version <= :version;

-- name: tink_workflows_page
SELECT * FROM tink_workflows
WHERE deleted_at IS NULL
  AND (CAST(:template_id AS TEXT) IS NULL OR template_id = :template_id)
  AND (CAST(:status AS INTEGER) IS NULL OR status = :status)
  AND (created_at < :at OR (created_at = :at AND id < :id))
ORDER BY created_at DESC, id DESC LIMIT :limit;

-- name: tink_hardware_by_ids
SELECT * FROM tink_hardware WHERE id IN (SELECT value FROM json_each(:ids)) ORDER BY id;

-- name: tink_data_summary
SELECT version, metadata, created_at, length(data) AS size FROM tink_workflow_data
WHERE workflow_id = :workflow_id ORDER BY version;
