"""``CONVEYOR_*`` settings, read once from the environment.

Every tunable lives here with the reason for its default, so nothing else reads ``os.environ``
for configuration.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from conveyor.errors import BadInput


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadInput(f"{name} must be an integer, not {raw!r}")


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise BadInput(f"{name} must be a number, not {raw!r}")


@dataclass(frozen=True)
class Settings:
    #: Where the embedded store, work dirs and lock files live.
    home: Path = field(default_factory=lambda: Path(os.environ.get("CONVEYOR_HOME", ".conveyor")))
    #: ``sqlite:///path`` or ``postgresql://...``; empty means SQLite under ``home``.
    database_url: str = field(default_factory=lambda: os.environ.get("CONVEYOR_DATABASE_URL", ""))
    #: Job state files above this many bytes fail the run (Shippable used 1 MB too).
    state_limit: int = field(default_factory=lambda: _int("CONVEYOR_STATE_LIMIT", 1024 * 1024))
    #: Bytes of log kept per run; the rest is dropped with a marker so a runaway step cannot fill the store.
    log_limit: int = field(default_factory=lambda: _int("CONVEYOR_LOG_LIMIT", 10 * 1024 * 1024))
    #: Bytes of files one output version may carry.
    output_files_limit: int = field(
        default_factory=lambda: _int("CONVEYOR_OUTPUT_FILES_LIMIT", 10 * 1024 * 1024)
    )
    #: A lease not renewed for this long means its worker is gone.
    lease_seconds: float = field(default_factory=lambda: _float("CONVEYOR_LEASE_SECONDS", 30.0))
    #: First retry delay; doubled per attempt up to ``retry_backoff_max``.
    retry_backoff: float = field(default_factory=lambda: _float("CONVEYOR_RETRY_BACKOFF", 1.0))
    retry_backoff_max: float = field(default_factory=lambda: _float("CONVEYOR_RETRY_BACKOFF_MAX", 300.0))
    #: Hooks that run after a timeout or cancel get this long before they are killed too.
    hook_grace_seconds: float = field(default_factory=lambda: _float("CONVEYOR_HOOK_GRACE", 60.0))
    #: Tinkerbell workflow data: how many of the newest versions keep their data (tink's
    #: MAX_WORKFLOW_DATA_VERSIONS), and the largest version accepted (tink's 10 MiB MAX_FILE_SIZE).
    tink_data_versions: int = field(default_factory=lambda: _int("CONVEYOR_TINK_DATA_VERSIONS", 3))
    tink_data_limit: int = field(default_factory=lambda: _int("CONVEYOR_TINK_DATA_LIMIT", 10 * 1024 * 1024))
    #: A server trusts a token it found valid for this long before reading it again: a revocation
    #: made on another replica (or by the CLI) reaches this one within that time; 0 turns this off.
    token_cache_seconds: float = field(default_factory=lambda: _float("CONVEYOR_TOKEN_CACHE_SECONDS", 5.0))
    #: Keep run work dirs after the run (for debugging).
    keep_workdirs: bool = field(default_factory=lambda: os.environ.get("CONVEYOR_KEEP_WORKDIRS", "") == "1")
    #: Encrypts integrations (secrets) at rest: a Fernet key (``conveyor secret keygen``) or any passphrase.
    secret_key: str = field(default_factory=lambda: os.environ.get("CONVEYOR_SECRET_KEY", ""), repr=False)
    #: A git resource without ``check_every`` (Shippable's gitRepo has none) is polled this often.
    git_check_every: float = field(default_factory=lambda: _float("CONVEYOR_GIT_CHECK_EVERY", 60.0))
    #: A failed notification is retried after this many seconds, doubled per attempt (at most 5 minutes) ...
    notify_backoff: float = field(default_factory=lambda: _float("CONVEYOR_NOTIFY_BACKOFF", 2.0))
    #: ... this many times in all, then given up (each failure is an event, ``notify.failed``).
    notify_attempts: int = field(default_factory=lambda: _int("CONVEYOR_NOTIFY_ATTEMPTS", 5))
    #: ``conveyor run`` waits at most this long at the end for each notification's first attempt.
    notify_drain: float = field(default_factory=lambda: _float("CONVEYOR_NOTIFY_DRAIN", 10.0))

    @property
    def work_dir(self) -> Path:
        """Where steps run: one fresh (empty) directory per run, on disk, reused once left empty."""
        return Path(os.environ.get("CONVEYOR_WORK_DIR") or self.home / "work").absolute()

    @property
    def scratch_dir(self) -> Path:
        """A run's small bounded files (inputs, outputs, state, log): in RAM (/dev/shm) when there is
        one, because creating files costs 0.5 ms each on some disks and a tiny job makes seven."""
        explicit = os.environ.get("CONVEYOR_SCRATCH_DIR")
        if explicit:
            return Path(explicit).absolute()
        home = self.home.absolute()
        shm = Path("/dev/shm")
        if shm.is_dir() and os.access(shm, os.W_OK):
            tag = hashlib.sha256(str(home).encode()).hexdigest()[:12]
            return shm / f"conveyor-{os.getuid()}" / tag
        return home / "scratch"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'conveyor.db'}"


def load() -> Settings:
    return Settings()
