"""Leftovers of a conveyor that died (kill -9): step processes still running, and their work dirs.

Steps run in their own session, so they outlive a killed conveyor. Each step's environment names
its run (``CONVEYOR_RUN_ID``) and work dir, which is how the next conveyor finds them in ``/proc``:
no pid file to write on the hot path, and no risk of killing an unrelated process that reused a pid.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

from conveyor.service.base import pid_alive


def _environ(pid: int) -> dict[bytes, bytes]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    out = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            out[key] = value
    return out


def kill_steps_of(root: Path, run_ids: set[int]) -> int:
    """SIGKILL the process group of every live step of these runs under ``root``; how many were found."""
    if not run_ids or not Path("/proc").is_dir():
        return 0
    prefix = str(root.absolute()).encode()
    wanted = {str(r).encode() for r in run_ids}
    killed = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        env = _environ(int(entry.name))
        if env.get(b"CONVEYOR_RUN_ID") in wanted and env.get(b"CONVEYOR_WORKDIR", b"").startswith(prefix):
            try:
                os.killpg(os.getpgid(int(entry.name)), signal.SIGKILL)
                killed += 1
            except OSError:
                pass
    return killed


def remove_stale_workdirs(root: Path) -> None:
    """Remove work dirs (``w-<pid>-...``), run dirs (``s-<pid>-...``) and trash (``trash-<pid>-...``)
    of conveyor processes now dead, under ``root`` (the work or the scratch dir)."""
    if not root.is_dir():
        return
    for d in root.iterdir():
        kind, _, rest = d.name.partition("-")
        pid = rest.split("-")[0]
        if (
            kind in ("w", "s", "trash")
            and pid.isdigit()
            and int(pid) != os.getpid()
            and not pid_alive(int(pid))
        ):
            shutil.rmtree(d, ignore_errors=True)
