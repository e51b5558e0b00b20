"""Runs one run's steps as real subprocesses, in a fresh work dir, without threads.

A ``Execution`` is a small state machine driven by its owner (the local pool or a remote worker):
``next_step()`` says which step comes next, the owner starts it (``spawn()``, from any thread) and
records it (``spawned()``), waits for that process to exit (a pidfd in a selector), then calls
``step_exited()``; ``timed_out()`` kills the step's whole process group. When
``done`` is true, ``result()`` collects outputs, state files and the log into a ``RunResult``.

Layout a step sees (documented in README.md):

    $CONVEYOR_WORKDIR                    the current directory, empty at the start
    $CONVEYOR_INPUTS/<input>/properties.json   the input version's (or upstream run's) properties
    $CONVEYOR_INPUTS/<input>/version.json      which version (or upstream run) this is
    $CONVEYOR_INPUTS/<input>/files/            a resource version's files
    $CONVEYOR_INPUTS/<job>/state/              an upstream job's state files
    $CONVEYOR_OUTPUTS/<resource>               key=value lines: the output's next version
    $CONVEYOR_OUTPUTS/<resource>.files/        files for the output's next version
    $CONVEYOR_STATE/                           the job's state files, restored from its last run
    $CONVEYOR_RUN_PROPERTIES                   key=value lines: properties of this run
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.model.work import RunResult, RunSpec, StepSpec

if TYPE_CHECKING:
    from conveyor.worker.masking import Masker

#: The environment steps inherit, copied once: os.environ decodes every entry on each copy.
_BASE_ENV = dict(os.environ)
#: ... and encoded once: subprocess encodes a str environment entry by entry on every spawn
_BASE_ENV_B = {os.fsencode(k): os.fsencode(v) for k, v in _BASE_ENV.items()}
_devnull: int | None = None


def _spawn_env(env: dict[str, str]) -> dict[bytes, bytes]:
    """``env`` as bytes, encoding only what differs from the inherited environment."""
    return {
        **_BASE_ENV_B,
        **{os.fsencode(k): os.fsencode(v) for k, v in env.items() if _BASE_ENV.get(k) is not v},
    }


def _stdin() -> int:
    """/dev/null, opened once (subprocess.DEVNULL opens it anew for every process)."""
    global _devnull
    if _devnull is None:
        _devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    return _devnull


def _masker(spec: RunSpec) -> Masker | None:
    """What masks the run's secrets in its log and results (None when it was given none)."""
    if not spec.secret_env:
        return None
    from conveyor.worker.masking import Masker

    masker = Masker.for_env(spec.env, spec.secret_env)
    return masker if masker else None


@dataclass(frozen=True, slots=True)
class PendingStep:
    """A step about to be spawned: the phase it belongs to and the environment it gets."""

    phase: str
    step: StepSpec
    env: dict[str, str]


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill a step's whole process group (it runs in a session of its own) and reap the step."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class OutputError(Exception):
    """A run wrote outputs conveyor cannot accept; the message says which file and why."""


def _safe_join(root: Path, rel: str) -> Path:
    parts = [p for p in Path(rel).parts if p not in ("", ".", "..", "/")]
    return root.joinpath(*parts) if parts else root / "_"


def _write_files(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = _safe_join(root, rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _properties_json(props: dict[str, str]) -> str:
    """``json.dumps(props, indent=2, sort_keys=True)`` for a flat dict, with C's string encoder
    (an indent makes json use its pure-Python encoder, a tenth of a millisecond per input)."""
    if not props:
        return "{}\n"
    enc = json.encoder.encode_basestring_ascii
    body = ",\n".join(f"  {enc(k)}: {enc(v)}" for k, v in sorted(props.items()))
    return "{\n" + body + "\n}\n"


def _write(path: str | Path, text: str) -> None:
    """A small file in one open/write/close (Path.write_text goes through io's buffered layers)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _read_tree(root: str | Path, limit: int, what: str) -> dict[str, bytes]:
    """Every regular file under root (relative path -> bytes); OutputError past ``limit`` bytes."""
    out: dict[str, bytes] = {}
    total = 0
    if not os.path.isdir(root):
        return out
    for dirpath, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = Path(dirpath, name)
            if not path.is_file() or path.is_symlink():
                continue
            size = path.stat().st_size
            total += size
            if total > limit:
                raise OutputError(f"{what} are over the {_human(limit)} limit")
            out[path.relative_to(Path(root)).as_posix()] = path.read_bytes()
    return out


def _human(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def parse_properties(path: str | Path, label: str) -> dict[str, str] | None:
    """``key=value`` lines (blank lines and ``#`` comments skipped; values keep any further ``=``)."""
    if not os.path.isfile(path):
        return None
    props: dict[str, str] = {}
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) > 1024 * 1024:
        raise OutputError(f"{label} is over the 1 MB limit")
    text = raw.decode("utf-8", errors="replace")
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or any(c.isspace() for c in key):
            raise OutputError(f"{label} line {lineno}: expected key=value, got {line[:80]!r}")
        props[key] = value
    return props


class Execution:
    """One run. ``run_dir`` holds its small files (inputs, outputs, state, log) and already has an
    empty ``state/``; ``work`` is the empty directory its steps run in. Both come from the owner's
    pool of clean directories: making and deleting directories costs more than a tiny job."""

    def __init__(
        self, spec: RunSpec, run_dir: Path, work: Path, hook_grace: float = 60.0, keep: bool = False
    ) -> None:
        self.spec = spec
        self.keep = keep
        self.hook_grace = hook_grace
        # absolute: steps run in the work dir, so a relative CONVEYOR_HOME would point nowhere
        self.dir = run_dir.absolute()
        self.work = work.absolute()
        # the hot path joins strings: a pathlib join costs more than the system call it feeds
        d = str(self.dir)
        self._inputs, self._state, self._log_path = f"{d}/inputs", f"{d}/state", f"{d}/log"
        self._run_properties = f"{d}/run.properties"
        #: the state kept with the run (Shippable's runtime keeps $JOB_STATE, or the previous on failure)
        self.kept_state: str | Path = self._state
        self.shippable_job_state: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.status = "running"
        self.message = ""
        self.exit_code: int | None = None
        self.steps: list[dict[str, object]] = []
        self.started_at = time.time()
        self.deadline = self.started_at + spec.timeout if spec.timeout else None
        self.done = False
        self._queue: list[tuple[str, StepSpec]] = [("steps", s) for s in spec.steps]
        self._phase = "steps"
        self._hooks_queued = False
        self._spawned = 0
        self._current: dict[str, object] | None = None
        self._log_sent = 0
        self._has_run_properties = False
        self._prepare()

    # paths for the rarer users (Shippable's runtime, outputs, tasks)
    @cached_property
    def inputs(self) -> Path:
        return Path(self._inputs)

    @cached_property
    def outputs(self) -> Path:
        return self.dir / "outputs"

    @cached_property
    def state(self) -> Path:
        return Path(self._state)

    @cached_property
    def run_properties(self) -> Path:
        return Path(self._run_properties)

    @cached_property
    def log_path(self) -> Path:
        return Path(self._log_path)

    @cached_property
    def stdout_path(self) -> Path:
        """A task's stdout is its result, kept apart from the log (its stderr)."""
        return self.dir / "stdout"

    @cached_property
    def task_input_path(self) -> Path:
        return self.dir / "task-input.json"

    # -- setup ----------------------------------------------------------------------------------
    def _prepare(self) -> None:
        # Directory operations are most of a tiny job's cost: make only what this run can use.
        if self.spec.outputs:
            self.outputs.mkdir()
        if self.spec.inputs:
            os.mkdir(self._inputs)
        #: input name -> the files written for it, so ``reclaim`` removes exactly those
        self._written: dict[str, tuple[str, ...]] = {}
        for inp in self.spec.inputs:
            d = f"{self._inputs}/{inp.name}"
            os.mkdir(d)
            _write(f"{d}/properties.json", _properties_json(inp.properties))
            _write(f"{d}/version.json", json.dumps(inp.version) + "\n")
            self._written[inp.name] = ("properties.json", "version.json")
            if inp.files:
                _write_files(Path(d, "state" if inp.kind == "job" else "files"), inp.files)
                self._written[inp.name] = ()  # not reclaimable: the dir is swept whole
        if self.spec.state_files:
            _write_files(self.state, self.spec.state_files)
        # read back with pread on the same descriptor: no open, stat or seek per read
        self._log = os.open(self._log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
        s = self.spec
        self.env = {
            **_BASE_ENV,
            **s.env,
            "CONVEYOR_PIPELINE": s.pipeline,
            "CONVEYOR_JOB": s.job,
            "CONVEYOR_RUN_ID": str(s.run_id),
            "CONVEYOR_RUN_NUMBER": str(s.number),
            "CONVEYOR_ATTEMPT": str(s.attempt),
            "CONVEYOR_WORKDIR": str(self.work),
            "CONVEYOR_INPUTS": self._inputs,
            "CONVEYOR_OUTPUTS": f"{self.dir}/outputs",
            "CONVEYOR_STATE": self._state,
            "CONVEYOR_RUN_PROPERTIES": self._run_properties,
        }
        if s.task_input is not None:
            _write(self.task_input_path, s.task_input)
            self.env["CONVEYOR_TASK_INPUT"] = str(self.task_input_path)
        if s.runtime == "shippable":
            from conveyor.worker import shippable

            self.env.update(shippable.prepare(self))
        self._masker = _masker(s)

    # -- driving --------------------------------------------------------------------------------
    def next_step(self) -> PendingStep | None:
        """The next step to spawn (``spawn``, then ``spawned``), its header already in the log;
        None when the run has no step left (then ``done`` is true)."""
        if not self._queue and self.status == "running" and not self._hooks_queued:
            self._hooks_queued = True
            self._queue = [("on_success", s) for s in self.spec.on_success]
            self._queue += [("always", s) for s in self.spec.always]
        if not self._queue:
            self.proc = None
            if self.status == "running":
                self.status, self.exit_code = "succeeded", 0
            self.done = True
            return None
        phase, step = self._queue.pop(0)
        self._phase = phase
        header = f"▶ {step.label}\n" if self._spawned == 0 else f"\n▶ {step.label}\n"
        os.write(self._log, header.encode())
        self._spawned += 1
        env = {**self.env, **step.env} if step.env else self.env
        return PendingStep(phase, step, env)

    def spawn(self, pending: PendingStep) -> subprocess.Popen[bytes]:
        """Start the step's process. It changes nothing in the execution, so another thread may call
        it (the pool's spawner): the caller waits while the child execs."""
        return self._spawn(pending.step, pending.env)

    def spawned(self, pending: PendingStep, proc: subprocess.Popen[bytes] | OSError) -> None:
        """Record the step's process, or why it could not start (the run then fails: the caller
        asks for the next step, the failure path's)."""
        if isinstance(proc, OSError):
            label = pending.step.label
            self.steps.append({"phase": pending.phase, "label": label, "exit_code": None, "note": str(proc)})
            self._fail("errored", f"step '{label}' could not start: {proc}")
            return
        self.proc = proc
        self._current = {"phase": pending.phase, "label": pending.step.label, "started_at": time.time()}

    def _spawn(self, step: StepSpec, env: dict[str, str]) -> subprocess.Popen[bytes]:
        if self.spec.kind != "task":
            return subprocess.Popen(
                ["/bin/sh", "-ec", step.run],
                cwd=self.work,
                env=_spawn_env(env),
                stdin=_stdin(),
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # a task reads its input on stdin; its stdout is its result, its stderr the log
        with open(self.task_input_path, "rb") as stdin, open(self.stdout_path, "ab") as stdout:
            return subprocess.Popen(
                ["/bin/sh", "-ec", step.run],
                cwd=self.work,
                env=_spawn_env(env),
                stdin=stdin,
                stdout=stdout,
                stderr=self._log,
                start_new_session=True,
            )

    def step_exited(self, returncode: int) -> None:
        """Record the step; a failure switches to the failure path (hooks' own failures only log)."""
        assert self._current is not None
        entry = {**self._current, "exit_code": returncode, "finished_at": time.time()}
        self.steps.append(entry)
        self._current = None
        self.proc = None
        if returncode == 0 or self.status != "running":
            return
        how = f"was killed by signal {-returncode}" if returncode < 0 else f"exited with {returncode}"
        message = f"step '{entry['label']}' {how}"
        if self._phase == "always":  # on the success path: the run fails, the other always steps still run
            self.status, self.message, self.exit_code = "failed", message, returncode
        else:
            self._fail("failed", message, returncode)

    def _fail(self, status: str, message: str, code: int | None = None) -> None:
        """Switch to the failure path: drop the remaining steps, run on_failure then always."""
        if self.status != "running":
            return
        self.status, self.message, self.exit_code = status, message, code
        self._hooks_queued = True
        self._queue = [("on_failure", s) for s in self.spec.on_failure] + [
            ("always", s) for s in self.spec.always
        ]

    def timed_out(self) -> None:
        """The run's timeout passed: kill the step's whole process group, then run the hooks briefly."""
        self.kill()
        if self._current is not None:
            self.steps.append(
                {**self._current, "exit_code": None, "finished_at": time.time(), "note": "timed out"}
            )
            self._current = None
        assert self.spec.timeout is not None
        os.write(self._log, f"\n✖ timed out after {self.spec.timeout:g}s\n".encode())
        if self.status == "running":
            self._fail("timed_out", f"timed out after {self.spec.timeout:g}s")
        else:
            self._queue = []  # a hook outlived its grace period
        self.deadline = time.time() + self.hook_grace

    def cancel(self, reason: str, status: str = "cancelled") -> None:
        """Stop now: kill the step's process group and run nothing more. ``status`` is
        ``errored`` when the run is handed back (its worker stops) so that it is retried."""
        self.kill()
        self._current = None
        self.status, self.message = status, reason
        self._queue = []

    def abandon(self) -> None:
        """Stop for good, with no result to report (its lease was never recorded)."""
        self.cancel("abandoned")
        os.close(self._log)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            kill_group(self.proc)
        self.proc = None

    # -- collecting -----------------------------------------------------------------------------
    def result(self) -> RunResult:
        s = self.spec
        if s.runtime == "shippable":
            from conveyor.worker import shippable

            shippable.collect(self)
        res = RunResult(status=self.status, exit_code=self.exit_code, message=self.message, steps=self.steps)
        try:
            res.state_files = _read_tree(
                self.kept_state, s.state_limit, "the job's state files ($CONVEYOR_STATE)"
            )
        except OutputError as exc:
            res.state_files = None
            if res.status == "succeeded":
                res.status, res.message = "failed", str(exc)
            os.write(self._log, f"\n✖ {exc}; the previous state is kept\n".encode())
        self._has_run_properties = os.path.isfile(self._run_properties)
        if res.status == "succeeded":
            try:
                props = None
                if self._has_run_properties:
                    props = parse_properties(self._run_properties, "$CONVEYOR_RUN_PROPERTIES")
                res.properties = props or {}
                for out in s.outputs:
                    props = parse_properties(self.outputs / out.name, f"$CONVEYOR_OUTPUTS/{out.name}")
                    files = _read_tree(
                        self.outputs / f"{out.name}.files",
                        s.output_files_limit,
                        f"files of output '{out.name}'",
                    )
                    if props is not None or files:
                        res.outputs[out.name] = (props or {}, files)
            except OutputError as exc:
                res.status, res.message, res.outputs = "failed", str(exc), {}
                os.write(self._log, f"\n✖ {exc}\n".encode())
        if s.kind == "task" and self.stdout_path.is_file():
            with open(self.stdout_path, "rb") as f:
                res.stdout = f.read(s.output_files_limit + 1)
        res.log = self.read_new_log(final=True)
        os.close(self._log)
        if self._masker is not None:  # secrets never leave the worker, whatever a step did with them
            res.message = self._masker.text(res.message)
            res.properties = {k: self._masker.text(v) for k, v in res.properties.items()}
        return res

    def read_new_log(self, final: bool = False) -> bytes:
        """The log written since the last call, within the run's log limit (streamed while the run
        runs; the rest goes with the result). Past the limit, the bytes are dropped and counted."""
        limit = self.spec.log_limit
        size = os.fstat(self._log).st_size
        data = b""
        if self._log_sent < min(size, limit):
            data = os.pread(self._log, min(size, limit) - self._log_sent, self._log_sent)
            self._log_sent += len(data)
        if self._masker is not None:
            data = self._masker.feed(data, final)
        if final and size > limit:
            data += f"\n[conveyor: log truncated: {size - limit} more bytes dropped]\n".encode()
        return data

    def reclaim(self) -> bool:
        """Empty the run dir for the next run, when it holds only what conveyor itself wrote; False
        when a step left something there (the owner then deletes the whole dir in the background).

        The log is unlinked, not truncated: a step's orphaned child may still hold it open, and
        must not write into the next run's log."""
        if self.keep or self.spec.runtime == "shippable" or self.spec.outputs:
            return False
        try:
            os.unlink(self._log_path)
            if self._has_run_properties:
                os.unlink(self._run_properties)
            if self.spec.kind == "task":
                for name in ("stdout", "task-input.json"):
                    try:
                        os.unlink(self.dir / name)
                    except FileNotFoundError:
                        pass
            for name, files in self._written.items():
                d = f"{self._inputs}/{name}"
                for f in files:
                    os.unlink(f"{d}/{f}")
                os.rmdir(d)
            if self._written:
                os.rmdir(self._inputs)
            with os.scandir(self._state) as it:
                if next(it, None) is not None:
                    return False
            with os.scandir(self.dir) as it:
                return [e.name for e in it] == ["state"]
        except OSError:
            return False
