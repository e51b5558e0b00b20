"""``conveyor worker --hardware-id ID`` (or ``--mac``/``--ip``): a worker bound to one Tinkerbell machine.

SIGTERM or Ctrl-C while idle: exit at once. While an action runs: finish it (bounded by its timeout),
report it, then exit; a second signal exits at once (the server times the action out later).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.errors import BadInput, Interrupted

if TYPE_CHECKING:
    from conveyor.client import WorkerClient


#: How long the server may hold a worker's request for work: a hand-off reaches an idle worker at once.
LONG_POLL = 20.0


def tink_worker(args: argparse.Namespace) -> int:
    from conveyor.client import WorkerClient
    from conveyor.worker.tink_runtime import make_runtime
    from conveyor.worker.tinkerbell import Config, TinkWorker

    if sum(bool(x) for x in (args.hardware_id, args.mac, args.ip)) != 1:
        raise BadInput("give exactly one of --hardware-id, --mac, --ip")
    if args.retry_interval <= 0:
        raise BadInput("--retry-interval must be more than 0 seconds")
    stop = threading.Event()
    client = WorkerClient(args.server, args.token, stop)

    def log(line: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)

    hardware_id = args.hardware_id or _resolve(client, args.mac, args.ip)
    home = Path(os.environ.get("CONVEYOR_HOME", ".conveyor")).absolute() / "tinkerbell" / hardware_id
    runtime = make_runtime(args.runtime, home)
    config = Config(
        hardware_id, home / "workflows", args.retry_interval, args.max_file_size, wait_seconds=LONG_POLL
    )
    worker = TinkWorker(client, runtime, config, stop, log)
    signals = {"count": 0}

    def on_signal(signum: int, frame: object) -> None:
        signals["count"] += 1
        stop.set()
        if not worker.busy or signals["count"] > 1:
            raise Interrupted()
        print("stopping after the action in hand (signal again to stop now)", file=sys.stderr, flush=True)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log(f"tinkerbell worker for hardware {hardware_id} serving {args.server}")
    log(runtime.describe())
    try:
        worker.run_forever()
    except Interrupted:
        log("stopped")
    finally:
        client.close()
    return 0


def _resolve(client: WorkerClient, mac: str | None, ip: str | None) -> str:
    """The hardware id of the machine answering to ``mac`` or ``ip``, asked of the server (retried)."""
    from conveyor.client import Unreachable

    delay = 0.2
    while True:
        try:
            return client.tink_resolve_worker(mac, ip)
        except Unreachable:
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
