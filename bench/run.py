"""Benchmark: conveyor against a plain Python loop and GNU make on the same job graphs.

Every job's step is `true`. Each conveyor figure is a whole `conveyor run FILE` (start-up, apply,
scheduling, durable commits, exit) on a fresh store. The baselines run in the same invocation, so
the ratios hold on a noisy shared machine:

- loop: a Python process spawning `/bin/sh -ec true` once per job (the same command conveyor runs),
  with the same concurrency; its wall time includes interpreter start-up, like conveyor's;
- make: GNU make running the same graph (`true` recipes, exec'd directly).

Overhead per job = (conveyor - loop) / jobs: what orchestration costs on top of spawning the steps.

usage: python bench/run.py [--reps 3] [--backends sqlite,postgres] [--sizes chain:100,fanout:500]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PG_URL = os.environ.get("CONVEYOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

LOOP = """
import subprocess, sys
from concurrent.futures import ThreadPoolExecutor
n, c = int(sys.argv[1]), int(sys.argv[2])
cmd = ["/bin/sh", "-ec", "true"]
if c == 1:
    for _ in range(n):
        subprocess.run(cmd, check=True)
else:
    with ThreadPoolExecutor(c) as pool:
        list(pool.map(lambda _: subprocess.run(cmd, check=True), range(n)))
"""


def pipeline_yaml(shape: str, n: int) -> str:
    """chain: j0 <- j1 <- ... (n jobs); fanout: root <- l0..l{n-1} <- join (n + 2 jobs), as in bench-peers."""
    out = ["jobs:"]
    if shape == "chain":
        out.append("  - {name: j0, steps: ['true']}")
        out += [f"  - {{name: j{i}, inputs: [{{job: j{i - 1}}}], steps: ['true']}}" for i in range(1, n)]
    else:
        out.append("  - {name: root, steps: ['true']}")
        out += [f"  - {{name: l{i}, inputs: [{{job: root}}], steps: ['true']}}" for i in range(n)]
        joins = ", ".join(f"{{job: l{i}}}" for i in range(n))
        out.append(f"  - {{name: join, inputs: [{joins}], steps: ['true']}}")
    return "\n".join(out) + "\n"


def makefile(shape: str, n: int) -> str:
    if shape == "chain":
        names = [f"j{i}" for i in range(n)]
        rules = ["all: " + names[-1], "j0:\n\ttrue"] + [f"j{i}: j{i - 1}\n\ttrue" for i in range(1, n)]
    else:
        names = ["root", "join"] + [f"l{i}" for i in range(n)]
        rules = ["all: join", "root:\n\ttrue"] + [f"l{i}: root\n\ttrue" for i in range(n)]
        rules.append("join: " + " ".join(f"l{i}" for i in range(n)) + "\n\ttrue")
    return ".PHONY: all " + " ".join(names) + "\n" + "\n".join(rules) + "\n"


def jobs_of(shape: str, n: int) -> int:
    return n if shape == "chain" else n + 2


def timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def fresh_pg_schema() -> tuple[str, str]:
    import psycopg

    schema = f"conveyor_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def store_url(backend: str, home: Path, name: str = "conveyor.db") -> tuple[str, str | None]:
    """A fresh store's URL (a new PostgreSQL schema, or SQLite file ``name`` under ``home``), and the
    schema to drop afterwards."""
    if backend == "postgres":
        schema, url = fresh_pg_schema()
        return url, schema
    return f"sqlite:///{home}/{name}", None


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Terminate the processes, newest first, and wait for each (killing one that takes over 15 s)."""
    for p in reversed(procs):
        p.terminate()
    for p in reversed(procs):
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def conveyor_env(backend: str, home: Path) -> tuple[dict[str, str], str | None]:
    """The environment of a conveyor on a fresh store under ``home`` (a new PostgreSQL schema, or
    SQLite there), and the schema to drop afterwards."""
    env = {**os.environ, "CONVEYOR_HOME": str(home)}
    schema = None
    if backend == "postgres":
        schema, env["CONVEYOR_DATABASE_URL"] = fresh_pg_schema()
    else:
        env.pop("CONVEYOR_DATABASE_URL", None)
    return env, schema


def conveyor_once(file: Path, backend: str, concurrency: int, work: Path) -> float:
    home = Path(tempfile.mkdtemp(dir=work))
    env, schema = conveyor_env(backend, home)
    conveyor = str(Path(sys.executable).with_name("conveyor"))
    try:
        return timed([conveyor, "run", str(file), "--json", "--concurrency", str(concurrency)], env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if schema:
            drop_pg_schema(schema)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--sizes", default="chain:100,chain:500,fanout:100,fanout:500")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    workloads = [(s.split(":")[0], int(s.split(":")[1])) for s in args.sizes.split(",")]

    work = Path(tempfile.mkdtemp(prefix="conveyor-bench-"))
    rows = []
    try:
        for shape, n in workloads:
            jobs = jobs_of(shape, n)
            concurrency = 1 if shape == "chain" else 2
            file = work / f"{shape}_{n}.yml"
            file.write_text(pipeline_yaml(shape, n))
            mk = work / f"Makefile.{shape}_{n}"
            mk.write_text(makefile(shape, n))
            loop = median(
                [timed([sys.executable, "-c", LOOP, str(jobs), str(concurrency)]) for _ in range(args.reps)]
            )
            make = median(
                [timed(["make", "-s", "-f", str(mk), f"-j{concurrency}"]) for _ in range(args.reps)]
            )
            for backend in backends:
                conveyor_once(file, backend, concurrency, work)  # warm-up: page cache, pyc files
                samples = [conveyor_once(file, backend, concurrency, work) for _ in range(args.reps)]
                took = median(samples)
                rows.append((f"{shape} {n}", jobs, concurrency, backend, took, loop, make))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"conveyor benchmark — {when}, {os.cpu_count()} cores, median of {args.reps}")
    print()
    header = (
        "| workload | jobs | c | store | conveyor s | loop s | make s | overhead ms/job"
        " | conveyor/loop | conveyor/make |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for workload, jobs, c, backend, took, loop, make in rows:
        overhead = (took - loop) / jobs * 1000
        print(
            f"| {workload} | {jobs} | {c} | {backend} | {took:.3f} | {loop:.3f} | {make:.3f} | "
            f"{overhead:.2f} | {took / loop:.2f}x | {took / make:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
