"""Polling a git repository (a local path or a URL) for new commits on a branch.

A bare mirror per repository is kept under a cache directory and fetched on each check, so a check costs
one ``git fetch`` and a ``rev-list``. Every git command is an argument list with prompts disabled and a
timeout: a repository that asks for a password or hangs fails the check instead of the scheduler.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: At most this many new commits become versions per check (the newest ones).
MAX_NEW = 100
TIMEOUT = 120.0
_SEP = "\x1f"


class GitError(Exception):
    """A git command failed; the message is git's own last line."""


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    committed_at: str
    message: str


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT
        )
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {TIMEOUT:g}s") from None
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        raise GitError(lines[-1] if lines else f"git {args[0]} exited with {done.returncode}")
    return done.stdout


def mirror(repo: str, cache: Path) -> Path:
    """The up-to-date bare mirror of ``repo`` under ``cache``."""
    where = cache / hashlib.sha256(repo.encode()).hexdigest()[:16]
    if (where / "HEAD").exists():
        _git("fetch", "--quiet", "--prune", "--force", "origin", cwd=where)
    else:
        cache.mkdir(parents=True, exist_ok=True)
        source = str(Path(repo).absolute()) if not _is_url(repo) else repo
        _git("clone", "--quiet", "--mirror", "--", source, str(where))
    return where


def _is_url(repo: str) -> bool:
    return "://" in repo or (":" in repo and not repo.startswith("/") and "@" in repo.split(":", 1)[0])


def new_commits(repo: str, branch: str | None, cursor: str, cache: Path) -> list[Commit]:
    """Commits on ``branch`` after ``cursor``, oldest first (the tip alone when there is no cursor, or
    when the cursor's commit is gone after a force push)."""
    where = mirror(repo, cache)
    ref = f"refs/heads/{branch}" if branch else _git("symbolic-ref", "HEAD", cwd=where).strip()
    try:
        tip = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=where).strip()
    except GitError:
        raise GitError(f"no branch {ref.removeprefix('refs/heads/')!r} in {repo}") from None
    if tip == cursor:
        return []
    shas = [tip]
    if cursor:
        try:
            listed = _git("rev-list", "--reverse", f"{cursor}..{tip}", cwd=where).split()
            shas = listed[-MAX_NEW:] or [tip]
        except GitError:
            shas = [tip]
    fmt = _SEP.join(("%H", "%an <%ae>", "%cI", "%s"))
    out = _git("show", "-s", f"--format={fmt}", *shas, cwd=where)
    commits = []
    for line in out.splitlines():
        parts = line.split(_SEP)
        if len(parts) == 4:
            commits.append(Commit(*parts))
    return commits
