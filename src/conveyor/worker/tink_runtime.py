"""Running one Tinkerbell action: in a container (podman, or docker where an engine runs), or on the host.

A container gets the action's image and command, its environment (task overlaid by action, already merged
in the workflow), its volumes, its PID mode, and the workflow's data directory at ``/workflow``, as
tink-worker did (a privileged container named after the action, always removed). Everything is passed as
argument lists; nothing user-written is ever handed to a shell. On podman the machine's quirks are handled
as CONTAINERS.md says: the runc runtime when it is installed, cgroupfs, and a ``containers.conf`` without
default ulimits unless ``CONTAINERS_CONF`` names one already.

``--runtime host`` runs the command itself on this host (the image is ignored), with the data directory as
its working directory and in ``$WORKFLOW_DIR``: no isolation at all, so the worker says so loudly.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: What an action's output may add to the worker's log.
OUTPUT_LIMIT = 64 * 1024
ENGINES = ("podman", "docker", "host")


@dataclass(frozen=True)
class ActionRun:
    """One container (or host process) to run for an action or its on-timeout/on-failure command."""

    name: str
    image: str
    command: tuple[str, ...]
    environment: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    pid: str = ""
    data_dir: Path = field(default_factory=Path)


@dataclass(frozen=True)
class Outcome:
    """``status`` is ``success``, ``failed`` or ``timeout``; ``output`` is the start of what it printed."""

    status: str
    exit_code: int | None
    seconds: float
    output: bytes = b""
    detail: str = ""


class Runtime:
    """Where actions run. ``describe`` is the worker's start-up line about it."""

    kind = "host"

    def run(self, spec: ActionRun, deadline: float) -> Outcome:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


class ContainerRuntime(Runtime):
    """``podman run`` / ``docker run``, killed (``rm -f``) when its deadline passes."""

    def __init__(self, engine: str, home: Path, pull: str = "missing", privileged: bool = True) -> None:
        self.kind = engine
        self.pull = pull
        self.privileged = privileged
        self.env = dict(os.environ)
        self.base = [engine]
        if engine == "podman":
            if shutil.which("runc"):
                self.base += ["--runtime", os.environ.get("CONVEYOR_PODMAN_RUNTIME", "runc")]
            self.base += ["--cgroup-manager", os.environ.get("CONVEYOR_PODMAN_CGROUP_MANAGER", "cgroupfs")]
            if "CONTAINERS_CONF" not in self.env:
                home.mkdir(parents=True, exist_ok=True)
                conf = home / "containers.conf"
                conf.write_text("[containers]\ndefault_ulimits = []\n")
                self.env["CONTAINERS_CONF"] = str(conf)

    def describe(self) -> str:
        return f"actions run in containers: {' '.join(self.base)} run"

    def argv(self, spec: ActionRun, name: str) -> list[str]:
        """The ``run`` command line: every value its own argument."""
        argv = [*self.base, "run", "--rm", "--name", name, f"--pull={self.pull}"]
        if self.privileged:
            argv.append("--privileged")
        argv += ["-v", f"{spec.data_dir}:/workflow"]
        for volume in spec.volumes:
            argv += ["-v", volume]
        for pair in spec.environment:
            argv += ["-e", pair]
        if spec.pid:
            argv += ["--pid", spec.pid]
        return [*argv, "--", spec.image, *spec.command]

    def run(self, spec: ActionRun, deadline: float) -> Outcome:
        name = f"conveyor-{_slug(spec.name)}-{uuid.uuid4().hex[:8]}"
        argv = self.argv(spec, name)
        return _supervise(argv, self.env, None, deadline, kill=lambda _: self._remove(name), new_group=False)

    def _remove(self, name: str) -> None:
        subprocess.run(
            [*self.base, "rm", "-f", "-t", "0", name],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )


class HostRuntime(Runtime):
    """The command itself, on this host, in its own process group (killed whole on a timeout)."""

    kind = "host"

    def describe(self) -> str:
        return (
            "WARNING: --runtime host: actions run DIRECTLY ON THIS HOST, not in containers. Images are "
            "ignored, there is no isolation, and /workflow is the data directory given in $WORKFLOW_DIR"
        )

    def run(self, spec: ActionRun, deadline: float) -> Outcome:
        if not spec.command:
            return Outcome("failed", None, 0.0, detail="no command to run on the host")
        env = dict(os.environ)
        for pair in spec.environment:
            key, _, value = pair.partition("=")
            env[key] = value
        env["WORKFLOW_DIR"] = str(spec.data_dir)

        def kill(proc: subprocess.Popen[bytes]) -> None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        return _supervise(list(spec.command), env, spec.data_dir, deadline, kill=kill, new_group=True)


def make_runtime(engine: str, home: Path) -> Runtime:
    """The runtime ``--runtime`` names (``podman`` by default, ``docker``, or ``host``)."""
    if engine == "host":
        return HostRuntime()
    if engine not in ENGINES:
        from conveyor.errors import BadInput

        raise BadInput(f"unknown runtime {engine!r}: use one of {', '.join(ENGINES)}")
    if shutil.which(engine) is None:
        from conveyor.errors import BadInput

        raise BadInput(f"{engine} is not installed here: install it, or run actions with --runtime host")
    return ContainerRuntime(engine, home)


def _supervise(
    argv: Sequence[str],
    env: dict[str, str],
    cwd: Path | None,
    deadline: float,
    kill: Callable[[subprocess.Popen[bytes]], None],
    new_group: bool,
) -> Outcome:
    """Run ``argv`` until it exits or ``deadline`` (epoch seconds) passes; then ``kill`` it."""
    start = time.time()
    with tempfile.TemporaryFile() as out:
        try:
            proc = subprocess.Popen(
                list(argv),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=new_group,
            )
        except OSError as exc:
            return Outcome("failed", None, 0.0, detail=f"cannot start {argv[0]}: {exc.strerror}")
        timed_out = False
        try:
            code = proc.wait(timeout=max(deadline - time.time(), 0.0))
        except subprocess.TimeoutExpired:
            timed_out = True
            kill(proc)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        out.seek(0)
        output = out.read(OUTPUT_LIMIT)
    seconds = time.time() - start
    if timed_out:
        return Outcome("timeout", code, seconds, output, "deadline passed: killed")
    return Outcome("success" if code == 0 else "failed", code, seconds, output, f"exit status {code}")


def _slug(text: str) -> str:
    kept = "".join(c if c.isalnum() or c in "_.-" else "-" for c in text)[:40].strip("-.")
    return kept or "action"
