"""Error names of the States Language, and the one exception that carries them.

A workflow's errors are data, not Python failures: a task reports ``("MyApp.Oops", "cause")``, a state
reports ``States.Timeout``, and Retry/Catch match on the name. So every runtime failure inside the engine is
a ``StatesError(name, cause)``, which the interpreter turns into Retry, Catch, or a failed execution. Mistakes
in a definition are not ``StatesError``: they are ``conveyor.errors.Problem`` lists found before it runs.
"""

from __future__ import annotations

ALL = "States.ALL"
HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
TIMEOUT = "States.Timeout"
TASK_FAILED = "States.TaskFailed"
PERMISSIONS = "States.Permissions"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
BRANCH_FAILED = "States.BranchFailed"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
ITEM_READER_FAILED = "States.ItemReaderFailed"
RESULT_WRITER_FAILED = "States.ResultWriterFailed"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

#: Every ``States.`` name a definition may mention in ErrorEquals (the spec reserves the prefix).
KNOWN = frozenset(
    {
        ALL,
        HEARTBEAT_TIMEOUT,
        TIMEOUT,
        TASK_FAILED,
        PERMISSIONS,
        RESULT_PATH_MATCH_FAILURE,
        PARAMETER_PATH_FAILURE,
        BRANCH_FAILED,
        NO_CHOICE_MATCHED,
        INTRINSIC_FAILURE,
        EXCEED_TOLERATED_FAILURE_THRESHOLD,
        ITEM_READER_FAILED,
        RESULT_WRITER_FAILED,
        RUNTIME,
        DATA_LIMIT_EXCEEDED,
    }
)

#: Errors that fail the whole execution at once: no Retry or Catch sees them (as in AWS, where a
#: ``States.ALL`` catcher does not catch ``States.Runtime`` either).
FATAL = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


class StatesError(Exception):
    """A named workflow error: what a state reports, and what Retry and Catch match on."""

    def __init__(self, error: str, cause: str | None = None) -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause

    @property
    def fatal(self) -> bool:
        """True when the error fails the execution outright, past any Retry or Catch."""
        return self.error in FATAL


class ExpressionError(ValueError):
    """A path, filter or intrinsic call that cannot be parsed: a definition mistake, found by validation."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(f"{message} at position {position} of {text!r}")
        self.reason = message
        self.text = text
        self.position = position


def matches(error_equals: list[str], error: str | None) -> bool:
    """Whether an ``ErrorEquals`` list applies to ``error``.

    ``States.ALL`` matches anything (fatal errors never get this far). ``States.TaskFailed`` is the AWS
    wildcard for every error except timeouts; ``States.Timeout`` also covers ``States.HeartbeatTimeout``,
    which the spec describes as a kind of timeout.
    """
    for name in error_equals:
        if name in (ALL, error):
            return True
        if name == TASK_FAILED and error not in (TIMEOUT, HEARTBEAT_TIMEOUT):
            return True
        if name == TIMEOUT and error == HEARTBEAT_TIMEOUT:
            return True
    return False
