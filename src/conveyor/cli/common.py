"""What every command module shares: opening the service, printing JSON, formatting times."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.settings import load as load_settings
from conveyor.store import open_store


def open_service(settings: Settings | None = None) -> Service:
    settings = settings or load_settings()
    return Service(open_store(settings.resolved_database_url), settings)


def print_json(value: Any) -> None:
    # one write: json.dump writes each token separately, thousands of calls for a long run list
    sys.stdout.write(json.dumps(value, indent=2, default=str, ensure_ascii=False) + "\n")


def ago(ts: float | None) -> str:
    if not ts:
        return "-"
    delta = time.time() - ts
    if delta < 60:
        return f"{delta:.0f}s ago"
    if delta < 3600:
        return f"{delta / 60:.0f}m ago"
    if delta < 86400:
        return f"{delta / 3600:.0f}h ago"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def duration(start: float | None, end: float | None) -> str:
    if not start:
        return "-"
    seconds = (end or time.time()) - start
    if seconds < 60:
        return f"{seconds:.2f}s"
    return f"{int(seconds // 60)}m{seconds % 60:02.0f}s"


def run_label(job: str, number: int, attempt: int) -> str:
    """``build #3``, or ``build #3.2`` for its second attempt."""
    return f"{job} #{number}" + (f".{attempt}" if attempt > 1 else "")


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """``key=value`` arguments; the value keeps any further ``=``."""
    from conveyor.errors import BadInput

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"expected KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "errored": "red",
    "timed_out": "red",
    "cancelled": "yellow",
    "running": "cyan",
    "queued": "blue",
    "pending": "dim",
    "waiting_approval": "magenta",
}


def remote(args: Any) -> Any:
    """A ``client.Client`` when ``--server``/``CONVEYOR_SERVER`` names a server, else None."""
    url = getattr(args, "server", None)
    if not url:
        return None
    from conveyor.client import Client

    return Client(url, getattr(args, "token", None))


def user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"
