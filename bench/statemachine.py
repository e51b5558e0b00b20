"""Benchmark: state-machine workflows run by conveyor (``conveyor workflow start``, embedded store).

Two workloads, as issue 5 asks:

- pass N: a chain of N Pass states. Reported: state transitions per second and microseconds per
  transition (the whole command, start-up included, and the engine's share measured in-process).
- map N: a Map over N items whose Task runs ``true`` (``exec:true``), two at a time. Reported: per-task
  overhead = (conveyor - loop) / N, against a plain Python loop spawning ``/bin/sh -ec true`` N times
  two at a time, measured in the same invocation.

usage: python bench/statemachine.py [--reps 3] [--backends sqlite,postgres] [--n 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import LOOP, conveyor_env, drop_pg_schema, median, timed


def pass_chain(n: int) -> dict[str, object]:
    states: dict[str, object] = {}
    for i in range(n):
        states[f"s{i}"] = {"Type": "Pass", "Result": i, "ResultPath": "$.last", "Next": f"s{i + 1}"}
    states[f"s{n - 1}"] = {"Type": "Pass", "Result": n - 1, "ResultPath": "$.last", "End": True}
    return {"name": f"pass-{n}", "stateMachine": {"StartAt": "s0", "States": states}}


def map_of(n: int) -> dict[str, object]:
    task = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "exec:true", "End": True}}}
    return {
        "name": f"map-{n}",
        "stateMachine": {
            "StartAt": "Each",
            "States": {
                "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": task, "End": True},
            },
        },
    }


def conveyor_once(definition: Path, name: str, value: str, backend: str, work: Path) -> float:
    conveyor = str(Path(sys.executable).with_name("conveyor"))
    env, schema = conveyor_env(backend, Path(tempfile.mkdtemp(dir=work)))
    try:
        timed([conveyor, "definition", "apply", str(definition)], env=env)
        return timed(
            [conveyor, "workflow", "start", name, "--input", value, "--json", "--concurrency", "2"], env=env
        )
    finally:
        shutil.rmtree(env["CONVEYOR_HOME"], ignore_errors=True)
        if schema:
            drop_pg_schema(schema)


def engine_only(n: int) -> float:
    """The interpreter alone on the Pass chain (no store): its share of a transition's cost."""
    from datetime import UTC, datetime

    from conveyor import statemachine as sm

    machine = pass_chain(n)["stateMachine"]
    start = time.perf_counter()
    ex = sm.Execution.start(machine, {})
    ex.advance(datetime.now(UTC))
    assert ex.status == "succeeded"
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--n", type=int, default=1000)
    args = parser.parse_args()
    n = args.n
    work = Path(tempfile.mkdtemp(prefix="conveyor-sm-bench-"))
    rows = []
    try:
        chain = work / "pass.json"
        chain.write_text(json.dumps(pass_chain(n)))
        fan = work / "map.json"
        fan.write_text(json.dumps(map_of(n)))
        items = json.dumps({"items": list(range(n))})
        loop = median([timed([sys.executable, "-c", LOOP, str(n), "2"]) for _ in range(args.reps)])
        empty = work / "pass1.json"
        empty.write_text(json.dumps(pass_chain(1)))
        engine = median([engine_only(n) for _ in range(args.reps)])
        for backend in [b for b in args.backends.split(",") if b]:
            conveyor_once(chain, f"pass-{n}", "{}", backend, work)  # warm-up
            base = median([conveyor_once(empty, "pass-1", "{}", backend, work) for _ in range(args.reps)])
            took = median([conveyor_once(chain, f"pass-{n}", "{}", backend, work) for _ in range(args.reps)])
            rows.append(("pass", backend, took, base, None))
            mapped = median([conveyor_once(fan, f"map-{n}", items, backend, work) for _ in range(args.reps)])
            rows.append(("map", backend, mapped, base, loop))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"conveyor state-machine benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores,")
    print(f"median of {args.reps}; n = {n}; the loop baseline spawns /bin/sh -ec true {n} times, 2 at a time")
    print()
    print(f"engine alone (no store): {engine * 1e6 / n:.1f} µs per Pass transition")
    print()
    print("| workload | store | conveyor s | 1-state workflow s | loop s | per state/task | rate | vs loop |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, backend, took, base, baseline in rows:
        if kind == "pass":
            per = (took - base) / n
            print(
                f"| {n} Pass states | {backend} | {took:.3f} | {base:.3f} | - | {per * 1e6:.0f} µs/transition"
                f" | {1 / per:,.0f} transitions/s | - |"
            )
        else:
            assert baseline is not None
            over = (took - baseline) / n
            print(
                f"| Map of {n} `true` tasks, c=2 | {backend} | {took:.3f} | {base:.3f} | {baseline:.3f} | "
                f"{over * 1e3:.2f} ms/task overhead | {n / took:,.0f} tasks/s | {took / baseline:.2f}x |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
