"""FACTS 3.2-3.3: ephemeral data versions, what is kept, reads, the size limit and the worker's push rule."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from conveyor.errors import BadInput, LimitExceeded
from conveyor.tinkerbell import (
    INITIAL_DATA,
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
from conveyor.tinkerbell.ephemeral import rfc3339

from ._helpers import T0, message


def grow(count: int) -> list[DataVersion]:
    """``count`` updates, applied as a store applies them (dropping the data append_version says to)."""
    versions: list[DataVersion] = []
    for n in range(1, count + 1):
        new, dropped = append_version(
            versions, "wf", b'{"n": %d}' % n, b'{"action_0%d": "data_0%d"}' % (n, n)
        )
        versions = [replace(v, data=None) if v.version == dropped else v for v in versions] + [new]
    return versions


def test_versions_count_from_one_and_only_the_last_three_keep_data() -> None:
    versions = grow(5)
    assert [v.version for v in versions] == [1, 2, 3, 4, 5]
    assert [v.data is not None for v in versions] == [False, False, True, True, True]
    assert all(v.metadata for v in versions)  # metadata is kept
    assert latest_version(versions) == 5 and latest_version([]) == 0


def test_the_fourth_version_drops_the_first_ones_data() -> None:
    versions = grow(3)
    new, dropped = append_version(versions, "wf", b"{}", b"{}")
    assert (new.version, dropped) == (4, 1)
    assert append_version(grow(2), "wf", b"{}", b"{}")[1] is None


def test_reading_latest_a_version_a_dropped_one_and_a_missing_one() -> None:
    versions = grow(5)
    assert read_data(versions) == b'{"action_05": "data_05"}'
    assert read_data(versions, 4) == b'{"action_04": "data_04"}'
    assert read_data(versions, 1) == b""
    assert read_metadata(versions, 1) == b'{"n": 1}'
    assert read_data(versions, 9) == b"" and read_data([]) == b"" and read_metadata([]) == b""


def test_updates_are_checked() -> None:
    assert message(lambda: append_version([], "", b"{}", b"{}"), BadInput) == "invalid workflow id"
    assert message(lambda: append_version([], "wf", b"{}", b"not json"), BadInput).startswith(
        "workflow data must be JSON:"
    )
    assert message(lambda: append_version([], "wf", b"", b"{}"), BadInput).startswith(
        "workflow metadata must be JSON"
    )
    too_big = b'"' + b"x" * MAX_DATA_BYTES + b'"'
    assert message(lambda: append_version([], "wf", b"{}", too_big), LimitExceeded) == (
        f"workflow data is {MAX_DATA_BYTES + 2} bytes, more than the {MAX_DATA_BYTES} allowed"
    )
    exactly = b'"' + b"x" * (MAX_DATA_BYTES - 2) + b'"'
    assert append_version([], "wf", b"{}", exactly)[0].version == 1


def test_the_worker_pushes_only_changed_json_objects_within_the_limit() -> None:
    assert INITIAL_DATA == b"{}"
    first = push_checksum(b'{"a": 1}', None)
    assert first == checksum(b'{"a": 1}')
    assert push_checksum(b'{"a": 1}', first) is None  # unchanged
    assert push_checksum(b'{"a": 2}', first) not in (None, first)
    assert push_checksum(b"[1, 2]", None) is None  # not an object
    assert push_checksum(b"{broken", None) is None
    big = json.dumps({"x": "y" * MAX_DATA_BYTES}).encode()
    assert push_checksum(big, None) is None


def test_push_metadata_has_tinks_keys() -> None:
    metadata = json.loads(push_metadata("hw-1", "update-data", "t", T0, "abc="))
    assert metadata == {
        "workerID": "hw-1",
        "actionName": "update-data",
        "taskName": "t",
        "updatedAt": "2021-09-10T12:00:00Z",
        "sha256": "abc=",
    }


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(timedelta(0), "2021-09-10T12:00:00Z"), (timedelta(hours=-5, minutes=-30), "2021-09-10T12:00:00-05:30")],
)
def test_rfc3339(offset: timedelta, expected: str) -> None:
    moment = T0.replace(tzinfo=timezone(offset), microsecond=123)
    assert rfc3339(moment) == expected
