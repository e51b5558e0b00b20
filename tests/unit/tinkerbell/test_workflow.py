"""FACTS 2.2: creating a workflow from a template and a hardware mapping, frozen into an action list."""

from __future__ import annotations

import json
from dataclasses import replace

from conveyor.errors import BadInput
from conveyor.tinkerbell import (
    State,
    Workflow,
    WorkflowAction,
    WorkflowState,
    merge_volumes,
    parse_hardware,
    parse_template,
)

from ._helpers import ID_1, ID_2, MAC_1, MAC_2, T0, dedent, make_workflow, message, real, real_hardware

SAMPLE_3 = real("tink__test_data_template_sample_3")
TWO_DEVICES = json.dumps({"device_1": MAC_1, "device_2": "AE:FB:27:a1:C4:02"})


def test_sample_3_flattens_two_workers_in_template_order() -> None:
    workflow = make_workflow(SAMPLE_3, TWO_DEVICES)
    assert [(a.index, a.task_name, a.name, a.worker_id) for a in workflow.actions] == [
        (0, "run-first-worker", "update-data", ID_1),
        (1, "run-first-worker", "overwrite-data", ID_1),
        (2, "run-second-worker", "overwrite-again", ID_2),
    ]
    assert workflow.workers == (ID_1, ID_2)
    assert (workflow.id, workflow.template_id, workflow.hardware) == ("wf-1", "tpl-1", TWO_DEVICES)
    assert (workflow.name, workflow.global_timeout, workflow.created_at) == ("packet_osie_provision", 600, T0)
    action = workflow.actions[2]
    assert (action.image, action.timeout, action.on_timeout, action.on_failure) == (
        "update-data",
        10,
        ("echo", "Timeout"),
        ("echo", "Failure"),
    )


def test_the_stored_data_is_the_rendered_template() -> None:
    workflow = make_workflow(SAMPLE_3, TWO_DEVICES)
    rendered = parse_template(workflow.data)
    assert [t.worker for t in rendered.tasks] == [MAC_1, "AE:FB:27:a1:C4:02"]


def test_environment_and_volumes_are_inherited_and_overridden() -> None:
    template = dedent(
        """
        version: "0.1"
        name: x
        tasks:
          - name: t
            worker: "{{.device_1}}"
            volumes: [/dev:/dev, /statedir:/statedir, /lib/firmware:/lib/firmware:ro]
            environment: {MIRROR_HOST: 192.168.1.2, KEEP: "yes"}
            actions:
              - name: a
                image: bash
                volumes: [/statedir:/other:rw, /new]
                environment: {MIRROR_HOST: 192.168.1.3, NEW: 0644}
                pid: host
        """
    )
    action = make_workflow(template, json.dumps({"device_1": MAC_1})).actions[0]
    assert action.environment == ("MIRROR_HOST=192.168.1.3", "KEEP=yes", "NEW=0644")
    assert action.volumes == ("/dev:/dev", "/statedir:/other:rw", "/lib/firmware:/lib/firmware:ro", "/new")
    assert action.pid == "host"


def test_happy_path_template_env_override() -> None:
    workflow = make_workflow(
        real("tink__db_testdata_template_happy_path_1.yaml"), json.dumps({"device_1": MAC_1})
    )
    assert [a.environment for a in workflow.actions] == [
        ("MIRROR_HOST=192.168.1.2", "NGINX_HOST=192.168.1.2"),
        ("MIRROR_HOST=192.168.1.3",),
    ]


def test_merge_volumes_keeps_a_volume_without_colon_as_written() -> None:
    assert merge_volumes(["/dev"], []) == ("/dev",)


def test_a_workflow_is_immutable_once_made() -> None:
    records = real_hardware()
    workflow = make_workflow(SAMPLE_3, TWO_DEVICES, records)
    before = workflow.to_dict()
    # the hardware is edited and the template changes: the workflow does not
    records[0] = parse_hardware(json.dumps(records[0].document() | {"network": {"interfaces": []}}))
    assert make_workflow(SAMPLE_3.replace("update-data", "other"), TWO_DEVICES, real_hardware()) != workflow
    assert workflow.to_dict() == before
    assert Workflow.from_dict(json.loads(json.dumps(before))) == workflow


def test_the_workers_resolve_by_ip_too() -> None:
    workflow = make_workflow(SAMPLE_3, json.dumps({"device_1": "192.168.1.5", "device_2": "192.168.1.6"}))
    assert workflow.workers == (ID_1, ID_2)


def test_creation_errors_are_tinks() -> None:
    assert message(lambda: make_workflow(SAMPLE_3, json.dumps({"device_1": MAC_1}))) == (
        "failed to parse template with ID tpl-1: template: workflow-template:19:13: executing"
        ' "workflow-template" at <.device_2>: map has no entry for key "device_2"'
    )
    assert message(
        lambda: make_workflow(SAMPLE_3, json.dumps({"device_1": MAC_1, "device_2": "node-2"})), BadInput
    ) == ("invalid worker address: node-2")
    unknown = json.dumps({"device_1": MAC_1, "device_2": "08:00:27:00:00:02"})
    assert (
        message(lambda: make_workflow(SAMPLE_3, unknown), BadInput)
        == "no worker found: mac: 08:00:27:00:00:02"
    )
    assert (
        message(lambda: make_workflow(SAMPLE_3, TWO_DEVICES, []), BadInput)
        == f"no worker found: mac: {MAC_1}"
    )


def test_a_later_task_on_the_first_worker_again() -> None:
    template = SAMPLE_3 + dedent(
        """
        - name: "back-to-first"
          worker: "{{.device_1}}"
          actions:
          - name: "last"
            image: bash
        """
    )
    workflow = make_workflow(template, json.dumps({"device_1": MAC_1, "device_2": MAC_2}))
    assert [a.worker_id for a in workflow.actions] == [ID_1, ID_1, ID_2, ID_1]
    assert workflow.workers == (ID_1, ID_2)


def test_initial_state_and_round_trips() -> None:
    workflow = make_workflow(SAMPLE_3, TWO_DEVICES)
    state = WorkflowState.initial(workflow)
    assert state == WorkflowState("wf-1", 3)
    assert (state.current_worker, state.current_action, state.current_action_state) == ("", "", State.PENDING)
    assert WorkflowState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    moved = replace(state, started_at=T0, current_action_state=State.RUNNING)
    assert WorkflowState.from_dict(json.loads(json.dumps(moved.to_dict()))) == moved
    assert WorkflowAction.from_dict(workflow.actions[0].to_dict()) == workflow.actions[0]


def test_state_names() -> None:
    assert [s.wire for s in State] == [
        "STATE_PENDING",
        "STATE_RUNNING",
        "STATE_FAILED",
        "STATE_TIMEOUT",
        "STATE_SUCCESS",
    ]
    assert [int(s) for s in State] == [0, 1, 2, 3, 4]
    assert State.parse("STATE_TIMEOUT") is State.parse("timeout") is State.TIMEOUT
