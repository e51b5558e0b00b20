"""The one entry point the CLI, the API and workers call: apply, put, trigger, lease, complete, approve.

It owns transactions: each public method is one transaction, so a crash leaves either all of an
operation or none of it. The decisions themselves (what a trigger starts, which pending run may
move on) live in ``engine/``; SQL lives in ``store/``. The service is split by who calls it:
``pipelines`` (definitions, triggers, people's actions), ``work`` (workers), ``reads``, ``auth``.
"""

from __future__ import annotations

from conveyor.service.approvals import ApprovalOps
from conveyor.service.auth import AuthOps
from conveyor.service.base import ApplyResult, check_properties
from conveyor.service.notifications import NotifyOps
from conveyor.service.reads import ReadOps
from conveyor.service.secrets import SecretOps
from conveyor.service.tinkerbell import TinkerbellOps
from conveyor.service.work import WorkerOps, accepted_requirements

__all__ = ["ApplyResult", "Service", "accepted_requirements", "check_properties"]


class Service(SecretOps, ApprovalOps, NotifyOps, WorkerOps, ReadOps, AuthOps, TinkerbellOps):
    """All of it, on one store. (Secrets, approval gates and notifications wrap the worker and pipeline
    operations they extend: see their modules.)"""
