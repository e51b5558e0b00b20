"""Benchmark: what an idle server and its idle workers cost in CPU.

Starts ``conveyor server`` (with its default embedded worker slots, or ``--embedded N``) on a fresh
store, applies a small pipeline and lets its runs finish, starts ``--workers`` remote ``conveyor worker``
processes polling it, waits for them to settle, then reads each process's CPU time (utime + stime in
/proc/<pid>/stat) over ``--seconds``. Prints the server's, and the workers' mean and largest, CPU use as
a percentage of one core; the target is a server under 2%.

usage: python bench/idle.py [--backends sqlite,postgres] [--workers 20] [--seconds 30] [--embedded N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import conveyor_env, drop_pg_schema, stop_all

TARGET = 2.0
PIPELINE = """
resources:
  - {name: src, type: params, properties: {V: "0"}}
jobs:
  - {name: build, inputs: [{resource: src}], steps: ["true"]}
  - {name: test, inputs: [{job: build}], steps: ["true"]}
"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(what: str, predicate: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def bench_backend(backend: str, workers: int, seconds: float, embedded: int | None) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="conveyor-idle-bench-"))
    env, schema = conveyor_env(backend, home)
    exe = str(Path(sys.executable).with_name("conveyor"))
    port = 18500 + (1 if backend == "postgres" else 0)
    url = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []

    def token(role: str) -> str:
        argv = [exe, "token", "create", "--role", role]
        return subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout.strip()

    try:
        admin, worker_token = token("admin"), token("worker")
        argv = [exe, "server", "--port", str(port)]
        if embedded is not None:
            argv += ["--workers", str(embedded)]
        server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(server)
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"}, timeout=30)

        def healthy() -> bool:
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until("the server", healthy)
        client.post("/api/v1/pipelines", json={"source": PIPELINE, "file": "idle.yml"}).raise_for_status()
        for n in range(workers):
            procs.append(
                subprocess.Popen(
                    [exe, "worker", "--server", url, "--token", worker_token, "--concurrency", "2"],
                    env={**env, "CONVEYOR_HOME": str(home / f"worker-{n}")},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

        def settled() -> bool:
            runs = client.get("/api/v1/runs", params={"limit": 10}).json()
            live = client.get("/api/v1/workers").json()
            done = len(runs) == 2 and all(r["status"] == "succeeded" for r in runs)
            return done and sum(1 for w in live if not w.get("stopped_at")) >= workers

        wait_until("the pipeline's runs and every worker", settled, 120)
        client.close()
        time.sleep(3.0)  # start-up work (imports, first heartbeats) is over
        pids = [p.pid for p in procs]
        before = [cpu_seconds(pid) for pid in pids]
        start = time.monotonic()
        time.sleep(seconds)
        took = time.monotonic() - start
        used = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
        pct = [100 * u / took for u in used]
        worker_pct = pct[1:] or [0.0]
        return {
            "server": pct[0],
            "worker_mean": sum(worker_pct) / len(worker_pct),
            "worker_max": max(worker_pct),
            "workers_total": sum(pct[1:]),
        }
    finally:
        stop_all(procs)
        shutil.rmtree(home, ignore_errors=True)
        if schema:
            drop_pg_schema(schema)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--embedded", type=int, default=None, help="embedded worker slots (default: the server's)"
    )
    args = parser.parse_args()
    results = {
        b: bench_backend(b, args.workers, args.seconds, args.embedded) for b in args.backends.split(",") if b
    }
    load = os.getloadavg()
    print(
        f"idle for {args.seconds:g} s with {args.workers} remote workers polling; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n"
    )
    head = "| store | server % of a core | worker mean % | worker max % | all workers % |"
    print(f"{head} server < {TARGET:g}%? |")
    print("|---|---|---|---|---|---|")
    for backend, r in results.items():
        ok = "ok" if r["server"] < TARGET else "**no**"
        print(
            f"| {backend} | {r['server']:.2f} | {r['worker_mean']:.2f} | {r['worker_max']:.2f} "
            f"| {r['workers_total']:.2f} | {ok} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
