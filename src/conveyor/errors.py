"""One error hierarchy for the whole of conveyor.

Every error a user can cause is a ``ConveyorError``: it carries a stable ``code`` (for JSON bodies), an
HTTP status and a CLI exit code, so the API and the CLI each map errors in exactly one place. When no
message is given, the class docstring is the message.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in a definition file (``FILE:LINE:COL: message``)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ConveyorError(Exception):
    """Something went wrong in conveyor."""

    code = "error"
    http_status = 500
    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or self.code).strip())

    @property
    def message(self) -> str:
        return str(self.args[0])


class InvalidDefinition(ConveyorError):
    """The definition is not valid."""

    code = "invalid_definition"
    http_status = 422

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = problems
        super().__init__(message or "\n".join(str(p) for p in problems))


class BadInput(ConveyorError):
    """The request is not valid."""

    code = "bad_input"
    http_status = 400
    exit_code = 2


class NotFound(ConveyorError):
    """No such object."""

    code = "not_found"
    http_status = 404


class Conflict(ConveyorError):
    """The object is not in a state that allows this."""

    code = "conflict"
    http_status = 409


class Forbidden(ConveyorError):
    """You may not do this."""

    code = "forbidden"
    http_status = 403
    exit_code = 4


class SecretKeyMissing(ConveyorError):
    """CONVEYOR_SECRET_KEY is not set, so secrets can be neither stored nor read."""

    code = "secret_key_missing"
    http_status = 409
    exit_code = 2


class LimitExceeded(ConveyorError):
    """A size limit was exceeded."""

    code = "limit_exceeded"
    http_status = 413


class StoreError(ConveyorError):
    """The store could not be reached or used."""

    code = "store_error"
    http_status = 503
    exit_code = 3


class SchemaTooNew(StoreError):
    """The database was written by a newer conveyor."""

    code = "schema_too_new"


class Interrupted(BaseException):
    """SIGTERM or Ctrl-C: stop leasing, cancel what runs, report it. A BaseException on purpose, so no
    ``except Exception`` on the way can swallow a shutdown (rq does the same)."""
