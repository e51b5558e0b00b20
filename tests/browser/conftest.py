"""Chromium for the browser tests: Debian's package (installed here when missing, never downloaded
by Playwright), driven headless by Playwright for Python. Screenshots go to ``.conveyor/screenshots/``
(printed at the end of the run)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(__file__).resolve().parents[2] / ".conveyor" / "screenshots"


def _install_chromium() -> None:
    """Debian's chromium and its driver, as CI's clean machine lacks them (it runs as root)."""
    if os.path.exists(CHROMIUM):
        return
    if os.geteuid() != 0:
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait = ["-o", "DPkg::Lock::Timeout=120"]  # another apt may hold the lock for a while
    subprocess.run(["apt-get", *wait, "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", *wait, "install", "-y", "-qq", "chromium", "chromium-driver"],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # per module, not per session: Playwright's sync API keeps an event loop running in this thread
    # while it lives, and later tests' asyncio.run() would fail on it
    _install_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    return SHOTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SHOTS.exists() and any(SHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SHOTS}")
