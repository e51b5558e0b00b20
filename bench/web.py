"""Benchmark the web UI's pages on a pipeline of 200 jobs with 10,000 runs of history.

Builds the history with real runs (steps are `true`, run in-process by a local pool), then starts a real
`conveyor server` on that store and times each page: the server's answer over loopback (median and p95
of N GETs) and, when Debian's chromium is there, the browser's full load (navigation start to the load
event, stylesheet, script and the SVG included). The target is under 300 ms a page.

usage: python bench/web.py [--backends sqlite,postgres] [--passes 50] [--reps 20] [--store DIR]

``--store DIR`` keeps the SQLite history in DIR (built there once, copied for each run): building 10,000 runs
takes minutes, and a before/after comparison should read the very same rows.
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
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import drop_pg_schema, store_url

LAYERS, WIDTH = 20, 10  # 200 jobs
CHROMIUM = "/usr/bin/chromium"


def pipeline_yaml() -> str:
    """20 columns of 10 jobs; each reads two jobs of the column before (a fan-in), the first column
    reads the source, and every job reads a settings resource that never triggers."""
    lines = [
        "resources:",
        "  - {name: src, type: params, properties: {V: '0'}}",
        "  - {name: settings, type: params, properties: {S: '1'}}",
        "jobs:",
    ]
    for layer in range(LAYERS):
        for i in range(WIDTH):
            name = f"j{layer:02d}-{i}"
            if layer == 0:
                inputs = "[{resource: src}, {resource: settings, trigger: false}]"
            else:
                ups = {f"j{layer - 1:02d}-{i}", f"j{layer - 1:02d}-{(i + 1) % WIDTH}"}
                inputs = "[" + ", ".join(f"{{job: {u}}}" for u in sorted(ups))
                inputs += ", {resource: settings, trigger: false}]"
            lines.append(f"  - {{name: {name}, inputs: {inputs}, steps: ['true']}}")
    return "\n".join(lines) + "\n"


def build_history(url: str, home: Path, passes: int) -> int:
    """Apply the pipeline and push ``passes`` versions of ``src`` through it: 200 runs each."""
    from conveyor import definitions
    from conveyor.service import Service
    from conveyor.settings import Settings
    from conveyor.store import open_store
    from conveyor.testing import run_until_idle

    service = Service(open_store(url), Settings(home=home))
    text = pipeline_yaml()
    service.apply(definitions.load_text(text, "wide.yml", default_name="wide"), text, "wide.yml")
    total = len(run_until_idle(service, "wide", home / "run", concurrency=2))
    for n in range(1, passes):
        service.put_version("src", {"V": str(n)}, "wide")
        total += len(run_until_idle(service, "wide", home / "run", concurrency=2))
        if n % 10 == 0:
            print(f"  {total} runs", file=sys.stderr, flush=True)
    service.store.close()
    return total


def pages(api: httpx.Client) -> dict[str, str]:
    runs = api.get("/api/v1/runs", params={"pipeline": "wide", "limit": 1}).json()
    newest = runs[0]["id"]
    job_runs = api.get("/api/v1/runs", params={"pipeline": "wide", "job": "j10-3", "limit": 25}).json()
    return {
        "pipelines": "/",
        "pipeline (200 jobs)": "/ui/pipelines/wide",
        "job: newest runs": "/ui/pipelines/wide/jobs/j10-3",
        "job: the next page": f"/ui/pipelines/wide/jobs/j10-3?before={job_runs[-1]['id']}",
        "run": f"/ui/runs/{newest}",
        "resource read by every run": "/ui/pipelines/wide/resources/settings",
        "resource: 50 versions": "/ui/pipelines/wide/resources/src",
        "workers": "/ui/workers",
        "workflows": "/ui/workflows",
    }


def server_times(base: str, urls: dict[str, str], reps: int) -> dict[str, tuple[float, float, int]]:
    out = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for name, path in urls.items():
            client.get(path).raise_for_status()  # warm the caches a first visit fills
            times = []
            for _ in range(reps):
                started = time.perf_counter()
                r = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                r.raise_for_status()
            times.sort()
            out[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1], len(r.content))
    return out


def browser_times(base: str, urls: dict[str, str], reps: int) -> dict[str, float]:
    if not os.path.exists(CHROMIUM):
        return {}
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[*args, "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name, path in urls.items():
            page.goto(base + path, wait_until="load")  # warm-up: the first visit compiles ui.css/ui.js
            times = []
            for _ in range(max(5, reps // 2)):
                page.goto(base + path, wait_until="load")
                t = page.evaluate(
                    "(() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return n.loadEventEnd - n.startTime; })()"
                )
                times.append(float(t))
            out[name] = statistics.median(times)
        browser.close()
    return out


def bench(
    backend: str, passes: int, reps: int, work: Path, store: Path | None = None
) -> list[tuple[str, str, Any, Any, Any, Any]]:
    home = Path(tempfile.mkdtemp(dir=work))
    url, schema = store_url(backend, home, "web.db")
    try:
        kept = store / f"web-{passes}.db" if store is not None and backend == "sqlite" else None
        if kept is not None and kept.exists():
            shutil.copyfile(kept, home / "web.db")  # a copy: the server may migrate or write to it
            print(f"{backend}: the history kept in {kept}", file=sys.stderr)
        else:
            started = time.perf_counter()
            total = build_history(url, home, passes)
            print(f"{backend}: {total} runs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            if kept is not None:
                kept.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(home / "web.db", kept)
        port = 18500 + os.getpid() % 1000
        env = {**os.environ, "CONVEYOR_HOME": str(home), "CONVEYOR_DATABASE_URL": url}
        exe = str(Path(sys.executable).with_name("conveyor"))
        server = subprocess.Popen(
            [exe, "server", "--port", str(port), "--workers", "0", "--no-auth"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            with httpx.Client(base_url=base) as api:
                urls = pages(api)
            server_ms = server_times(base, urls, reps)
            browser_ms = browser_times(base, urls, reps)
        finally:
            server.terminate()
            server.wait(15)
        return [
            (backend, name, *server_ms[name][:2], browser_ms.get(name), server_ms[name][2] // 1024)
            for name in urls
        ]
    finally:
        if schema:
            drop_pg_schema(schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--passes", type=int, default=50, help="200 runs each (50: 10,000 runs)")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--store", type=Path, help="keep (and reuse) the SQLite history in this folder")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="conveyor-bench-web-") as work:
        for backend in args.backends.split(","):
            rows += bench(backend, args.passes, args.reps, Path(work), args.store)
    print("| store | page | server p50 ms | server p95 ms | browser load ms | KiB |")
    print("|---|---|---|---|---|---|")
    for backend, name, p50, p95, load, kib in rows:
        shown = f"{load:.0f}" if load is not None else "—"
        print(f"| {backend} | {name} | {p50:.1f} | {p95:.1f} | {shown} | {kib} |")


if __name__ == "__main__":
    main()
