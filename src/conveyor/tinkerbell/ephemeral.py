"""Ephemeral data: the JSON a workflow's actions share through ``/workflow/data`` (FACTS 3.2, 3.3).

Server side, every update is a new version numbered from 1; only the newest ``KEPT_VERSIONS`` keep their
data (older ones keep their metadata); reading version 0 means the latest, and reading what does not exist
gives empty bytes, not an error. Worker side, the file starts as ``{}``, is overwritten by the latest data
before each action, and is pushed back only after a *successful* action, only if it changed, is a JSON object
and is at most 10 MiB (tink's ``MAX_FILE_SIZE`` default; conveyor's 10 MB limit). The server refuses more than
that too (``LimitExceeded``) instead of storing whatever it is sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from conveyor.errors import BadInput, LimitExceeded

MAX_DATA_BYTES = 10 * 1024 * 1024
KEPT_VERSIONS = 3
INITIAL_DATA = b"{}"


@dataclass(frozen=True, slots=True)
class DataVersion:
    """One ``workflow_data`` row; ``data`` is None once ``KEPT_VERSIONS`` newer versions exist."""

    workflow_id: str
    version: int
    metadata: bytes
    data: bytes | None


def append_version(
    versions: Sequence[DataVersion],
    workflow_id: str,
    metadata: bytes,
    data: bytes,
    keep: int = KEPT_VERSIONS,
    max_bytes: int = MAX_DATA_BYTES,
) -> tuple[DataVersion, int | None]:
    """The next version of a workflow's data, and the older version whose data must now be dropped.

    ``versions`` are the workflow's existing rows. Raises ``BadInput`` (no workflow id, data or metadata that
    is not JSON) or ``LimitExceeded``.
    """
    if not workflow_id:
        raise BadInput("invalid workflow id")
    if len(data) > max_bytes:
        raise LimitExceeded(f"workflow data is {len(data)} bytes, more than the {max_bytes} allowed")
    for what, blob in (("data", data), ("metadata", metadata)):
        try:
            json.loads(blob)
        except ValueError as exc:
            raise BadInput(f"workflow {what} must be JSON: {exc}")
    version = len(versions) + 1
    return DataVersion(workflow_id, version, metadata, data), (version - keep if version > keep else None)


def latest_version(versions: Sequence[DataVersion]) -> int:
    """``GetWorkflowDataVersion``: how many versions there are (0 for none)."""
    return len(versions)


def read_data(versions: Sequence[DataVersion], version: int = 0) -> bytes:
    """``GetWorkflowData``: a version's data (0: the latest); empty when missing or dropped."""
    row = _find(versions, version)
    return b"" if row is None or row.data is None else row.data


def read_metadata(versions: Sequence[DataVersion], version: int = 0) -> bytes:
    """``GetWorkflowMetadata``: a version's metadata (0: the latest); empty when missing."""
    row = _find(versions, version)
    return b"" if row is None else row.metadata


def checksum(data: bytes) -> str:
    """A change marker for the worker's file (tink's value is opaque too; this one is a plain SHA-256)."""
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def push_checksum(data: bytes, previous: str | None, max_bytes: int = MAX_DATA_BYTES) -> str | None:
    """After a successful action: the checksum to push ``data`` with, or None when it must not be pushed
    (larger than ``max_bytes``, not a JSON object, or unchanged since ``previous``)."""
    if len(data) > max_bytes:
        return None
    try:
        if not isinstance(json.loads(data), dict):
            return None
    except ValueError:
        return None
    current = checksum(data)
    return None if current == previous else current


def push_metadata(
    worker_id: str, action_name: str, task_name: str, updated_at: datetime, sha256: str
) -> bytes:
    """The metadata pushed with the data, with tink's keys and an RFC 3339 time."""
    fields = {
        "workerID": worker_id,
        "actionName": action_name,
        "taskName": task_name,
        "updatedAt": rfc3339(updated_at),
        "sha256": sha256,
    }
    return json.dumps(fields).encode("utf-8")


def rfc3339(moment: datetime) -> str:
    """Go's ``time.RFC3339``: whole seconds, ``Z`` for UTC."""
    offset = moment.utcoffset()
    text = moment.replace(microsecond=0, tzinfo=None).isoformat()
    if offset is None or offset == timedelta(0):
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{text}{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _find(versions: Sequence[DataVersion], version: int) -> DataVersion | None:
    if not versions:
        return None
    wanted = version or max(v.version for v in versions)
    return next((v for v in versions if v.version == wanted), None)
