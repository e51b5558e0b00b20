"""Starting real conveyor servers and workers as processes, and waiting on conditions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        return int(self.proc.returncode)

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")


class Cluster:
    """Servers and workers on one store, started as real processes."""

    def __init__(self, tmp: Path, db_url: str, lease_seconds: float = 2.0) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ,
            "CONVEYOR_HOME": str(tmp / "home"),
            "CONVEYOR_DATABASE_URL": db_url,
            "CONVEYOR_LEASE_SECONDS": str(lease_seconds),
            "CONVEYOR_RETRY_BACKOFF": "0.1",
        }
        self.procs: list[Proc] = []
        self.clients: list[httpx.Client] = []
        self.admin = self.token("admin")
        self.worker_token = self.token("worker")
        self.urls: list[str] = []

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "conveyor", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"conveyor {' '.join(args)} failed: {proc.stderr}")
        return proc

    def token(self, role: str) -> str:
        return self.cli("token", "create", "--role", role).stdout.strip()

    def server(self, workers: int = 0, port: int | None = None, *extra: str) -> tuple[Proc, str]:
        port = port or free_port()
        url = f"http://127.0.0.1:{port}"
        log = self.tmp / f"server-{port}-{len(self.procs)}.log"
        argv = [
            sys.executable,
            "-m",
            "conveyor",
            "server",
            "--port",
            str(port),
            "--workers",
            str(workers),
            *extra,
        ]
        proc = Proc(argv, self.env, log)
        self.procs.append(proc)

        def healthy() -> bool:
            if proc.proc.poll() is not None:
                raise AssertionError(f"server exited: {proc.output()}")
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(healthy, 30, "the server to answer /health")
        self.urls.append(url)
        return proc, url

    def worker(self, url: str, *labels: str, concurrency: int = 2, name: str | None = None) -> Proc:
        n = len(self.procs)
        env = {**self.env, "CONVEYOR_HOME": str(self.tmp / f"worker-{n}")}
        argv = [sys.executable, "-m", "conveyor", "worker", "--server", url, "--token", self.worker_token]
        argv += ["--concurrency", str(concurrency)]
        for label in labels:
            argv += ["--label", label]
        if name:
            argv += ["--name", name]
        proc = Proc(argv, env, self.tmp / f"worker-{n}.log")
        self.procs.append(proc)
        return proc

    def api(self, url: str, token: str | None = None) -> httpx.Client:
        """An HTTP client with ``token`` (default: admin; "" for none), closed with the cluster."""
        token = self.admin if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=url, headers=headers, timeout=30)
        self.clients.append(client)
        return client

    def close(self) -> None:
        for client in self.clients:
            client.close()
        for proc in reversed(self.procs):
            proc.stop()


@contextmanager
def cluster(tmp: Path, db_url: str, lease_seconds: float = 2.0) -> Iterator[Cluster]:
    c = Cluster(tmp, db_url, lease_seconds)
    try:
        yield c
    except BaseException:
        c.close()
        for proc in c.procs:  # what each process said, for a failure seen only under load
            print(f"--- {proc.log.name} (the end)\n{proc.log.read_text(errors='replace')[-3000:]}")
        raise
    else:
        c.close()
