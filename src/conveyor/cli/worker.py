"""``conveyor worker``: lease runs meant for this machine from a server, run them, report back.

SIGTERM (or Ctrl-C) once: stop leasing, finish the runs in hand, exit. Twice: hand them back now
(they are reported errored and retried per their job's ``retries``).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from conveyor.cli.common import parse_pairs, run_label
from conveyor.errors import BadInput, Interrupted


def worker(args: argparse.Namespace) -> int:
    from conveyor.client import WorkerClient
    from conveyor.settings import load
    from conveyor.worker.pool import Pool, PoolConfig

    if args.hardware_id or args.mac or args.ip:  # a worker bound to one Tinkerbell machine
        from conveyor.cli.tink_worker import tink_worker

        return tink_worker(args)
    if args.concurrency < 1:
        raise BadInput("--concurrency must be at least 1")
    labels = parse_pairs(args.label)
    settings = load()
    stop = threading.Event()
    client = WorkerClient(args.server, args.token, stop)
    host = os.uname().nodename
    name = args.name or f"worker:{host}:{os.getpid()}"
    worker_id = client.register(name, labels, host, os.getpid())
    home = Path(os.environ.get("CONVEYOR_HOME", ".conveyor")).absolute() / f"worker-{worker_id}"
    config = PoolConfig(
        concurrency=args.concurrency,
        work_root=Path(os.environ.get("CONVEYOR_WORK_DIR") or home / "work"),
        scratch_root=Path(os.environ.get("CONVEYOR_SCRATCH_DIR") or home / "scratch"),
        lease_seconds=client.lease_seconds,
        hook_grace=settings.hook_grace_seconds,
        keep_workdirs=settings.keep_workdirs,
        labels=labels,
        stream_logs=True,
        poll_seconds=0.5,
        idle_wait=20.0,
        handle_signals=False,
    )

    def listener(kind: str, spec: Any, row: dict[str, Any] | None) -> None:
        label = f"{spec.pipeline}/" + run_label(spec.job, spec.number, spec.attempt)
        status = "started" if kind == "started" else (row["status"] if row else "taken over")
        print(f"{time.strftime('%H:%M:%S')} {label} {status}", flush=True)

    pool = Pool(client, worker_id, config, listener)
    signals = {"count": 0}

    def on_signal(signum: int, frame: object) -> None:
        signals["count"] += 1
        if not pool.slots:  # nothing in hand: stop now, even in the middle of a long poll
            stop.set()
            raise Interrupted()
        if signals["count"] == 1:
            print("stopping: finishing the runs in hand (signal again to hand them back)", file=sys.stderr)
            pool.drain()
        else:
            stop.set()
            pool.abort()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(
        f"worker {worker_id} ({name}) serving {args.server} with labels {labels or '{}'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        pool.run_forever()
    finally:
        stop.set()
        client.stop_worker(worker_id)
        client.close()
    return 0
