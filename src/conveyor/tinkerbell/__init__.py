"""Tinkerbell's workflow engine, as pure functions: templates, hardware, workflows and their execution.

The store, API and workers call these and persist what they return; nothing here does I/O or reads the clock.
Behaviour and messages follow tink v0.6.0 (``shared/reference/tinkerbell/FACTS.md``), with its quirks fixed
where the issue asks: hand-off to another worker after any action, ``global_timeout`` enforced, and
``on-timeout``/``on-failure`` commands really run. Modules, in the order data flows:

- ``template``: template text -> validated ``Template`` (``model``), via ``decode`` (yaml.v2 strictness);
- ``catalog``: template records: names, uniqueness among live templates, soft delete, list filter;
- ``hardware``: hardware records: id and MAC rules, MAC conflicts, lookups, worker address resolution;
- ``render``: Go-template substitution (``placeholders``) into the parsed template, values as data;
- ``workflow``: ``create_workflow`` -> an immutable ``Workflow`` with its ordered action list; ``State``;
- ``execution``: the state machine over ``runstate`` records: work for a worker, reports, timeouts, events;
- ``ephemeral``: the versioned data a workflow's actions share.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conveyor.tinkerbell.catalog import (
        TemplateRecord,
        check_name,
        check_name_free,
        create_template,
        delete_template,
        get_template,
        like_pattern,
        list_templates,
        template_for_workflow,
        update_template,
    )
    from conveyor.tinkerbell.ephemeral import (
        INITIAL_DATA,
        KEPT_VERSIONS,
        MAX_DATA_BYTES,
        DataVersion,
        append_version,
        checksum,
        latest_version,
        push_checksum,
        push_metadata,
        read_data,
        read_metadata,
    )
    from conveyor.tinkerbell.execution import (
        ACTION_GRACE_SECONDS,
        MESSAGE_STARTED,
        MESSAGE_SUCCESS,
        action_deadline,
        due,
        expire,
        finished_report,
        global_deadline,
        has_ended,
        next_action,
        next_deadline,
        progress,
        report,
        started_report,
        work_for,
        workflow_state,
    )
    from conveyor.tinkerbell.hardware import (
        Hardware,
        Interface,
        by_id,
        by_ip,
        by_mac,
        mac_conflict,
        parse_hardware,
        parse_mac,
        push,
        resolve_worker,
    )
    from conveyor.tinkerbell.hardware import delete as delete_hardware
    from conveyor.tinkerbell.image import is_valid_image
    from conveyor.tinkerbell.model import Action, Task, Template
    from conveyor.tinkerbell.render import Rendered, parse_devices, render_template
    from conveyor.tinkerbell.runstate import Event, Hook, Report, Transition, Work, WorkflowState
    from conveyor.tinkerbell.template import dump_yaml, parse_template, template_data, validation_error
    from conveyor.tinkerbell.workflow import (
        DEFAULT_ACTION_TIMEOUT,
        State,
        Workflow,
        WorkflowAction,
        create_workflow,
        flatten,
        merge_volumes,
    )

#: public name -> (module, name there). Imported on first use (PEP 562), so a command that needs only
#: ``hardware`` does not pay for YAML and the rest; ``from conveyor.tinkerbell import X`` works as usual.
_EXPORTS: dict[str, tuple[str, str]] = {
    "TemplateRecord": ("catalog", "TemplateRecord"),
    "check_name": ("catalog", "check_name"),
    "check_name_free": ("catalog", "check_name_free"),
    "create_template": ("catalog", "create_template"),
    "delete_template": ("catalog", "delete_template"),
    "get_template": ("catalog", "get_template"),
    "like_pattern": ("catalog", "like_pattern"),
    "list_templates": ("catalog", "list_templates"),
    "template_for_workflow": ("catalog", "template_for_workflow"),
    "update_template": ("catalog", "update_template"),
    "DataVersion": ("ephemeral", "DataVersion"),
    "INITIAL_DATA": ("ephemeral", "INITIAL_DATA"),
    "KEPT_VERSIONS": ("ephemeral", "KEPT_VERSIONS"),
    "MAX_DATA_BYTES": ("ephemeral", "MAX_DATA_BYTES"),
    "append_version": ("ephemeral", "append_version"),
    "checksum": ("ephemeral", "checksum"),
    "latest_version": ("ephemeral", "latest_version"),
    "push_checksum": ("ephemeral", "push_checksum"),
    "push_metadata": ("ephemeral", "push_metadata"),
    "read_data": ("ephemeral", "read_data"),
    "read_metadata": ("ephemeral", "read_metadata"),
    "ACTION_GRACE_SECONDS": ("execution", "ACTION_GRACE_SECONDS"),
    "MESSAGE_STARTED": ("execution", "MESSAGE_STARTED"),
    "MESSAGE_SUCCESS": ("execution", "MESSAGE_SUCCESS"),
    "action_deadline": ("execution", "action_deadline"),
    "due": ("execution", "due"),
    "expire": ("execution", "expire"),
    "finished_report": ("execution", "finished_report"),
    "global_deadline": ("execution", "global_deadline"),
    "has_ended": ("execution", "has_ended"),
    "next_action": ("execution", "next_action"),
    "next_deadline": ("execution", "next_deadline"),
    "progress": ("execution", "progress"),
    "report": ("execution", "report"),
    "started_report": ("execution", "started_report"),
    "work_for": ("execution", "work_for"),
    "workflow_state": ("execution", "workflow_state"),
    "Hardware": ("hardware", "Hardware"),
    "Interface": ("hardware", "Interface"),
    "by_id": ("hardware", "by_id"),
    "by_ip": ("hardware", "by_ip"),
    "by_mac": ("hardware", "by_mac"),
    "delete_hardware": ("hardware", "delete"),
    "mac_conflict": ("hardware", "mac_conflict"),
    "parse_hardware": ("hardware", "parse_hardware"),
    "parse_mac": ("hardware", "parse_mac"),
    "push": ("hardware", "push"),
    "resolve_worker": ("hardware", "resolve_worker"),
    "is_valid_image": ("image", "is_valid_image"),
    "Action": ("model", "Action"),
    "Task": ("model", "Task"),
    "Template": ("model", "Template"),
    "Rendered": ("render", "Rendered"),
    "parse_devices": ("render", "parse_devices"),
    "render_template": ("render", "render_template"),
    "Event": ("runstate", "Event"),
    "Hook": ("runstate", "Hook"),
    "Report": ("runstate", "Report"),
    "Transition": ("runstate", "Transition"),
    "Work": ("runstate", "Work"),
    "WorkflowState": ("runstate", "WorkflowState"),
    "dump_yaml": ("template", "dump_yaml"),
    "parse_template": ("template", "parse_template"),
    "template_data": ("template", "template_data"),
    "validation_error": ("template", "validation_error"),
    "DEFAULT_ACTION_TIMEOUT": ("workflow", "DEFAULT_ACTION_TIMEOUT"),
    "State": ("workflow", "State"),
    "Workflow": ("workflow", "Workflow"),
    "WorkflowAction": ("workflow", "WorkflowAction"),
    "create_workflow": ("workflow", "create_workflow"),
    "flatten": ("workflow", "flatten"),
    "merge_volumes": ("workflow", "merge_volumes"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


__all__ = [
    "ACTION_GRACE_SECONDS",
    "DEFAULT_ACTION_TIMEOUT",
    "INITIAL_DATA",
    "KEPT_VERSIONS",
    "MAX_DATA_BYTES",
    "MESSAGE_STARTED",
    "MESSAGE_SUCCESS",
    "Action",
    "DataVersion",
    "Event",
    "Hardware",
    "Hook",
    "Interface",
    "Rendered",
    "Report",
    "State",
    "Task",
    "Template",
    "TemplateRecord",
    "Transition",
    "Work",
    "Workflow",
    "WorkflowAction",
    "WorkflowState",
    "action_deadline",
    "append_version",
    "by_id",
    "by_ip",
    "by_mac",
    "check_name",
    "check_name_free",
    "checksum",
    "create_template",
    "create_workflow",
    "delete_hardware",
    "delete_template",
    "due",
    "dump_yaml",
    "expire",
    "finished_report",
    "flatten",
    "get_template",
    "global_deadline",
    "has_ended",
    "is_valid_image",
    "latest_version",
    "like_pattern",
    "list_templates",
    "mac_conflict",
    "merge_volumes",
    "next_action",
    "next_deadline",
    "parse_devices",
    "parse_hardware",
    "parse_mac",
    "parse_template",
    "progress",
    "push",
    "push_checksum",
    "push_metadata",
    "read_data",
    "read_metadata",
    "render_template",
    "report",
    "resolve_worker",
    "started_report",
    "template_data",
    "template_for_workflow",
    "update_template",
    "validation_error",
    "work_for",
    "workflow_state",
]
