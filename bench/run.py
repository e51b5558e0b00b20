"""Benchmark: conveyor against a plain Python loop and GNU make on the peers' job graphs.

Every job's step is `true`. The workloads are those of ../shared/bench-peers (PEERS.md):

- W1: a chain of 100 jobs, one at a time (and a chain of 10, for start-up = W1_10 - 10 x slope);
- W2: a fan-out of 200 jobs between a root and a join, two at a time;
- W3: the same with 1,000 jobs;
- W4 (``--big``): the same with 10,000 jobs, against W3 per job (and ``conveyor validate`` of both files).

Each conveyor figure is a whole `conveyor run FILE --concurrency C` (interpreter start-up, loading and
applying the file, scheduling, a durable commit per finished job, exit) on a fresh store: an empty,
migrated database (SQLite file, or a new PostgreSQL schema), as the peers' harness runs Airflow on a
migrated database. The baselines run in the same invocation, interleaved with conveyor's runs (one
of each per round), so the ratios hold on a noisy machine:

- loop: a Python process spawning `/bin/sh -ec true` once per job (what conveyor runs for a step)
  with the same concurrency; its wall time includes interpreter start-up, as conveyor's does;
- make: GNU make running the same graph (`true` recipes, exec'd directly).

Overhead per job = (conveyor - loop) / jobs: what orchestration costs on top of spawning the steps.
Peak RSS is GNU time's maximum resident set size of the conveyor process during W3 (and W4).

usage: python bench/run.py [--reps 3] [--backends sqlite,postgres] [--quick] [--big] [--peers] [--scale]
  --quick   W1 and W2 only (a smoke run)
  --big     also W4, a fan-out of 10,000 jobs (at most 3 reps): is the per-job cost flat from W3?
  --peers   also run ../shared/bench-peers/run_all.sh (about 20 minutes) and print its table beside
  --scale   also run bench/scale.py (large stores) and print its table
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
from dataclasses import dataclass
from pathlib import Path

PG_URL = os.environ.get("CONVEYOR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
HERE = Path(__file__).resolve().parent
PEERS = HERE.parent.parent / "shared" / "bench-peers"

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


@dataclass(frozen=True)
class Workload:
    name: str
    shape: str
    n: int
    concurrency: int

    @property
    def jobs(self) -> int:
        return self.n if self.shape == "chain" else self.n + 2


WORKLOADS = [
    Workload("W1_10", "chain", 10, 1),
    Workload("W1", "chain", 100, 1),
    Workload("W2", "fanout", 200, 2),
    Workload("W3", "fanout", 1000, 2),
]
#: with ``--big``: the same fan-out ten times wider, for a per-job cost flat from 1,000 to 10,000 jobs
BIG = Workload("W4", "fanout", 10_000, 2)


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


def timed(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return took


def peak_rss_mb(argv: list[str], env: dict[str, str]) -> float:
    """GNU time's maximum resident set size of the command (the largest process, as in PEERS.md)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


def median(xs: list[float]) -> float:
    return statistics.median(xs)


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


def migrated(env: dict[str, str]) -> None:
    """Create the store's schema (untimed): a fresh store is an empty, migrated database."""
    code = "from conveyor.settings import load; from conveyor.store import open_store; "
    code += "open_store(load().resolved_database_url).close()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def conveyor_once(file: Path, backend: str, concurrency: int, work: Path, rss: bool = False) -> float:
    """Wall seconds of one `conveyor run` on a fresh store (or, with ``rss``, its peak RSS in MB)."""
    home = Path(tempfile.mkdtemp(dir=work))
    env, schema = conveyor_env(backend, home)
    conveyor = str(Path(sys.executable).with_name("conveyor"))
    argv = [conveyor, "run", str(file), "--json", "--concurrency", str(concurrency)]
    try:
        migrated(env)
        return peak_rss_mb(argv, env) if rss else timed(argv, env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if schema:
            drop_pg_schema(schema)


def _big_table(
    seconds: dict[tuple[str, str], float], rss: dict[tuple[str, str], float], backends: list[str]
) -> None:
    """Per job, W3 against W4: what ten times the jobs costs each (flat is the target)."""
    w3 = next(w for w in WORKLOADS if w.name == "W3")
    print()
    print(
        "| store | W3 ms/job | W4 ms/job | W4/W3 | overhead W3 ms/job | overhead W4 ms/job | peak RSS W4 MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for backend in backends:
        per = [seconds[(w.name, backend)] / w.jobs * 1000 for w in (w3, BIG)]
        over = [(seconds[(w.name, backend)] - seconds[(w.name, "loop")]) / w.jobs * 1000 for w in (w3, BIG)]
        print(
            f"| {backend} | {per[0]:.2f} | {per[1]:.2f} | {per[1] / per[0]:.2f}x | {over[0]:.2f} | "
            f"{over[1]:.2f} | {rss[('W4', backend)]:.0f} |"
        )


def command_seconds(args: list[str], reps: int) -> float:
    """Median wall seconds of ``conveyor ARGS`` (``--help``, ``validate FILE``)."""
    conveyor = str(Path(sys.executable).with_name("conveyor"))
    return statistics.median([timed([conveyor, *args]) for _ in range(reps)])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="W1 and W2 only")
    parser.add_argument("--peers", action="store_true", help="also run ../shared/bench-peers/run_all.sh")
    parser.add_argument("--scale", action="store_true", help="also run bench/scale.py")
    parser.add_argument("--big", action="store_true", help="also W4, a 10,000-job fan-out (at most 3 reps)")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    workloads = [w for w in WORKLOADS if not (args.quick and w.name == "W3")]
    if args.big:
        workloads.append(BIG)
    # start-up is part of the figure: byte-compile first (PYTHONDONTWRITEBYTECODE may be set)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "src")], check=True)

    work = Path(tempfile.mkdtemp(prefix="conveyor-bench-"))
    seconds: dict[tuple[str, str], float] = {}
    rss: dict[tuple[str, str], float] = {}
    validate: dict[str, float] = {}
    try:
        for w in workloads:
            file = work / f"{w.shape}_{w.n}.yml"
            file.write_text(pipeline_yaml(w.shape, w.n))
            mk = work / f"Makefile.{w.shape}_{w.n}"
            mk.write_text(makefile(w.shape, w.n))
            loop_argv = [sys.executable, "-c", LOOP, str(w.jobs), str(w.concurrency)]
            make_argv = ["make", "-s", "-f", str(mk), f"-j{w.concurrency}"]
            big = w is BIG
            reps = min(args.reps, 3) if big else args.reps
            if not big:  # warm-ups: the page cache (W4 comes after the others: it is warm)
                timed(loop_argv)
                for backend in backends:
                    conveyor_once(file, backend, w.concurrency, work)
            # one of each per round, so that the host's drift (it is shared) moves them all alike
            samples: dict[str, list[float]] = {k: [] for k in ("loop", "make", *backends)}
            for _ in range(reps):
                samples["loop"].append(timed(loop_argv))
                samples["make"].append(timed(make_argv))
                for backend in backends:
                    samples[backend].append(conveyor_once(file, backend, w.concurrency, work))
            for key, xs in samples.items():
                seconds[(w.name, key)] = median(xs)
            if w.name in ("W3", "W4"):
                validate[w.name] = command_seconds(["validate", str(file)], reps)
                for backend in backends:
                    rss[(w.name, backend)] = conveyor_once(file, backend, w.concurrency, work, rss=True)
        help_s = command_seconds(["--help"], max(args.reps, 5))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"conveyor benchmark: {when}, {os.cpu_count()} cores, median of {args.reps}")
    print()
    header = (
        "| workload | jobs | c | store | conveyor s | loop s | make s | overhead ms/job"
        " | conveyor/loop | conveyor/make |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for w in workloads:
        loop, make = seconds[(w.name, "loop")], seconds[(w.name, "make")]
        for backend in backends:
            took = seconds[(w.name, backend)]
            overhead = (took - loop) / w.jobs * 1000
            print(
                f"| {w.name} | {w.jobs} | {w.concurrency} | {backend} | {took:.3f} | {loop:.3f} | "
                f"{make:.3f} | {overhead:.2f} | {took / loop:.2f}x | {took / make:.2f}x |"
            )
    print()
    print("| store | start-up s (W1_10 - 10 x slope) | marginal ms/job above the loop | peak RSS W3 MB |")
    print("|---|---|---|---|")
    for backend in [*backends, "loop"]:
        slope = (seconds[("W1", backend)] - seconds[("W1_10", backend)]) / 90
        loop_slope = (seconds[("W1", "loop")] - seconds[("W1_10", "loop")]) / 90
        startup = seconds[("W1_10", backend)] - 10 * slope
        marginal = "-" if backend == "loop" else f"{(slope - loop_slope) * 1000:.2f}"
        peak = f"{rss[('W3', backend)]:.0f}" if ("W3", backend) in rss else "-"
        print(f"| {backend} | {startup:.3f} | {marginal} | {peak} |")
    print(f"\n`conveyor --help`: {help_s:.3f} s")
    for name, took in validate.items():
        jobs = next(w.jobs for w in workloads if w.name == name)
        print(f"`conveyor validate` of {name} ({jobs:,} jobs): {took:.3f} s")
    if args.big:
        _big_table(seconds, rss, backends)

    if args.scale:
        print()
        subprocess.run([sys.executable, str(HERE / "scale.py")], check=True)
    if args.peers:
        print()
        _peers(seconds, backends, rss)
    return 0


def _peers(
    seconds: dict[tuple[str, str], float], backends: list[str], rss: dict[tuple[str, str], float]
) -> None:
    """Run the peers' harness (writing its results here, not into the read-only shared folder) and
    print its table with this run's conveyor rows added in its first columns' terms."""
    results = Path(tempfile.mkdtemp(prefix="conveyor-peers-"))
    env = {**os.environ, "BENCH_RESULTS": str(results)}
    subprocess.run(["bash", str(PEERS / "run_all.sh")], env=env, check=True)
    table = (results / "table.md").read_text()
    print(f"peers ({results / 'table.md'}):\n")
    print(table)
    print("\nconveyor, this run, same columns:\n")
    print(
        "| peer | W1 chain 100 (s) | W2 fan-out 200, c=2 (s) | W3 fan-out 1000 (s) | W1_10 chain 10 (s)"
        " | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|")
    for backend in backends:
        cells = [seconds.get((w, backend)) for w in ("W1", "W2", "W3", "W1_10")]
        shown = " | ".join("-" if c is None else f"{c:.3f}" for c in cells)
        peak = f"{rss[('W3', backend)]:.0f}" if ("W3", backend) in rss else "-"
        print(f"| conveyor ({backend}) | {shown} | {peak} |")


if __name__ == "__main__":
    raise SystemExit(main())
