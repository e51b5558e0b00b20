"""Real containers for the Tinkerbell tests: podman installed if missing, small local images built once.

No registry can be reached here, so images are made from busybox-static (CONTAINERS.md): a root with
``/bin/busybox`` and its applet links, imported with ``podman import`` and tagged with the names the test
templates use. As CI runs as root on a clean machine, a missing podman is installed with apt; if that is
impossible the tests fail (they are never skipped to go green).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

BASE = "localhost/conveyor-test-busybox:latest"
APPLETS = ("sh", "echo", "cat", "sleep", "ls", "true", "false", "test", "printf", "mkdir", "touch", "wc")
PACKAGES = ("podman", "runc", "busybox-static")


def ensure_podman() -> None:
    missing = shutil.which("podman") is None or shutil.which("runc") is None or not _static_busybox()
    if not missing:
        return
    if os.geteuid() != 0:
        raise AssertionError(
            "podman, runc and busybox-static are needed: apt-get install -y " + " ".join(PACKAGES)
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], env=env, check=True, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", *PACKAGES], env=env, check=True, capture_output=True)


def _static_busybox() -> bool:
    busybox = Path("/bin/busybox")
    if not busybox.exists():
        return False
    probe = subprocess.run(["ldd", str(busybox)], capture_output=True, text=True, check=False)
    return "not a dynamic executable" in probe.stdout + probe.stderr


#: podman as CONTAINERS.md says it runs here (crun fails on this machine's cgroups; runc works)
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


def build_images(work: Path, names: tuple[str, ...]) -> dict[str, str]:
    """Build the busybox image (once per machine) and tag it as each of ``names``; the environment the
    workers need (``CONTAINERS_CONF``)."""
    ensure_podman()
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "containers.conf"
    conf.write_text("[containers]\ndefault_ulimits = []\n")
    env = {**os.environ, "CONTAINERS_CONF": str(conf)}
    cmd = PODMAN
    exists = subprocess.run([*cmd, "image", "exists", BASE], env=env, check=False).returncode == 0
    if not exists:
        root = work / "root"
        (root / "bin").mkdir(parents=True)
        shutil.copy2("/bin/busybox", root / "bin" / "busybox")
        for applet in APPLETS:
            (root / "bin" / applet).symlink_to("busybox")
        (root / "workflow").mkdir()
        archive = work / "busybox.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        subprocess.run([*cmd, "import", str(archive), BASE], env=env, check=True, capture_output=True)
    for name in names:
        first = name.split("/", 1)[0]
        qualified = name if "/" in name and ("." in first or ":" in first) else f"localhost/{name}"
        tag = qualified if ":" in qualified.rsplit("/", 1)[-1] else f"{qualified}:latest"
        subprocess.run([*cmd, "tag", BASE, tag], env=env, check=True, capture_output=True)
    return {"CONTAINERS_CONF": str(conf)}
