"""A pure Amazon States Language engine: validation, JSONPath, intrinsics and a resumable interpreter.

No I/O, no database, no threads, no clock: ``Execution.advance(now)`` returns effects (run this task, wake me
at that time, the execution finished) and the outside reports back by token; the whole execution state is a
JSON-ready dict (``to_dict`` / ``from_dict``). See ``interpreter.py`` for the protocol, and ``definition.py``
for the definition shapes accepted (States Language, Clever's workflow-definition request, Clever's Batch-era
``states`` array). Only the standard library is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conveyor.statemachine.definition import Definition, convert_legacy, load, validate, with_start_at
    from conveyor.statemachine.effects import (
        Cancelled,
        CancelTask,
        CancelTimer,
        Effect,
        Failed,
        Finished,
        Job,
        RunTask,
        Timer,
    )
    from conveyor.statemachine.errors import StatesError
    from conveyor.statemachine.interpreter import Execution

#: name -> the submodule defining it, imported on first use: a pipeline run (``conveyor run``) loads
#: the service, which names this package, and should not pay for the engine at start-up.
_WHERE = {
    **dict.fromkeys(["Definition", "convert_legacy", "load", "validate", "with_start_at"], "definition"),
    **dict.fromkeys(
        ["Cancelled", "CancelTask", "CancelTimer", "Effect", "Failed", "Finished", "Job", "RunTask", "Timer"],
        "effects",
    ),
    "StatesError": "errors",
    "Execution": "interpreter",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CancelTask",
    "CancelTimer",
    "Cancelled",
    "Definition",
    "Effect",
    "Execution",
    "Failed",
    "Finished",
    "Job",
    "RunTask",
    "StatesError",
    "Timer",
    "convert_legacy",
    "load",
    "validate",
    "with_start_at",
]
