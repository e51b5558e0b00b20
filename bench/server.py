"""Benchmark the server: requests per second and latency for GET a run and POST a resource version
(wrk on loopback, bounded in time), lease-to-start latency for a remote worker, and idle RSS.

GET a run reads a finished run (the server keeps finished runs' views in memory: they never
change); GET a queued run reads one still waiting for a worker, from the store each time.

usage: python bench/server.py [--backends sqlite,postgres] [--seconds 5] [--connections 16]
Needs wrk (Debian package `wrk`); without it, the HTTP rows are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import conveyor_env, drop_pg_schema, stop_all

PIPELINE = """
resources:
  - {name: hook, type: generic}
  - {name: src, type: params, properties: {V: "0"}}
jobs:
  - name: work
    inputs: [{resource: src}]
    steps: ["true"]
  - name: parked  # queued for a worker label nobody has: a run that is read from the store each time
    runs_on: {bench: parked}
    steps: ["true"]
"""

POST_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local body = '{"properties": {"n": "' .. counter .. '-' .. math.random(1, 1000000000) .. '"}}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN"}
  return wrk.format("POST", nil, headers, body)
end
"""


def conveyor(*args: str, env: dict[str, str]) -> str:
    exe = str(Path(sys.executable).with_name("conveyor"))
    return subprocess.run([exe, *args], env=env, check=True, capture_output=True, text=True).stdout.strip()


def wrk(url: str, token: str, seconds: int, connections: int, script: Path | None = None) -> dict[str, float]:
    argv = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run([*argv, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def pct(p: str) -> float:
        m = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": pct("50"),
        "p99": pct("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bench_backend(backend: str, seconds: int, connections: int) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="conveyor-server-bench-"))
    env, schema = conveyor_env(backend, home)
    port = 18400 + (1 if backend == "postgres" else 0)
    url = f"http://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        admin = conveyor("token", "create", "--role", "admin", env=env)
        worker_token = conveyor("token", "create", "--role", "worker", env=env)
        exe = str(Path(sys.executable).with_name("conveyor"))
        server = subprocess.Popen(
            [exe, "server", "--port", str(port), "--workers", "0"], env=env, stderr=subprocess.DEVNULL
        )
        procs.append(server)
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin}"}, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        client.post("/api/v1/pipelines", json={"source": PIPELINE, "file": "bench.yml"}).raise_for_status()
        worker = subprocess.Popen(
            [exe, "worker", "--server", url, "--token", worker_token, "--concurrency", "1"],
            env={**env, "CONVEYOR_HOME": str(home / "worker")},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(worker)

        def runs() -> list[dict[str, object]]:
            rows: list[dict[str, object]] = client.get("/api/v1/runs", params={"limit": 500}).json()
            return rows

        # lease-to-start: one run at a time, the worker idle in its long poll each time
        while sum(1 for r in runs() if r["status"] == "succeeded") < 1:  # the run the pipeline started
            time.sleep(0.02)
        for i in range(1, 41):
            client.post("/api/v1/pipelines/bench/resources/src/versions", json={"properties": {"V": str(i)}})
            target = i + 1  # the first run came with the pipeline
            while sum(1 for r in runs() if r["status"] == "succeeded") < target:
                time.sleep(0.02)
        done = [r for r in runs() if r["started_at"] and r["queued_at"]]
        parked = next(r for r in runs() if r["job_name"] == "parked")
        waits = [float(r["started_at"]) - float(r["queued_at"]) for r in done]  # type: ignore[arg-type]
        lease_to_start = statistics.median(waits) * 1000

        time.sleep(1.0)
        idle_rss = rss_mb(server.pid)
        run_id = done[0]["id"]
        get = get_queued = post = None
        if shutil.which("wrk"):
            get = wrk(f"{url}/api/v1/runs/{run_id}", admin, seconds, connections)
            get_queued = wrk(f"{url}/api/v1/runs/{parked['id']}", admin, seconds, connections)
            lua = home / "post.lua"
            lua.write_text(POST_LUA.replace("TOKEN", admin))  # wrk.format's headers replace -H ones
            post = wrk(
                f"{url}/api/v1/pipelines/bench/resources/hook/versions", admin, seconds, connections, lua
            )
        client.close()
        return {
            "get": get,
            "get_queued": get_queued,
            "post": post,
            "lease_ms": lease_to_start,
            "rss": idle_rss,
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
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    results = {b: bench_backend(b, args.seconds, args.connections) for b in args.backends.split(",") if b}
    print(
        f"conveyor server benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, wrk "
        f"-c{args.connections} -d{args.seconds}s on loopback"
    )
    print()
    print(
        "| store | GET run req/s | p50 ms | p99 ms | GET queued run req/s | p50 ms | p99 ms "
        "| POST version req/s | p50 ms | p99 ms | lease→start median ms | server RSS idle MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for backend, r in results.items():
        g, q, p = r["get"], r["get_queued"], r["post"]

        def cells(x: object) -> str:
            if not isinstance(x, dict):
                return "– | – | –"
            return f"{x['rps']:.0f} | {x['p50']:.1f} | {x['p99']:.1f}"

        print(f"| {backend} | {cells(g)} | {cells(q)} | {cells(p)} | {r['lease_ms']:.1f} | {r['rss']:.0f} |")
    print()
    print(json.dumps({b: {k: v for k, v in r.items()} for b, r in results.items()}, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
