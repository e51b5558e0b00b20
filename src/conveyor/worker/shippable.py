"""Shippable's job runtime around a run's steps, for jobs imported from a ``shippable.yml``.

What the scripts of those jobs expect (FACTS.md 3.1-3.3): ``$JOB_STATE`` (empty; kept with the run),
``$JOB_PREVIOUS_STATE`` (the previous run's), per IN/OUT variables ``<NAME>_PATH``, ``_STATE``, ``_META``,
``_VERSIONNUMBER``, ``_VERSIONNAME``, ``_PARAMS_<KEY>``..., a ``version.json`` per input, and ``shipctl`` on
the PATH. After the steps, ``$JOB_STATE/<resource>.env`` key=value lines become that OUT resource's next
version (with a provenance ``trace``), ``$JOB_STATE/<job>.env`` the run's own properties, and a failed
run carries the previous state forward instead of losing it. Values keep any ``=`` they contain.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conveyor.worker.executor import Execution

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")


def env_name(name: str) -> str:
    """Shippable's ``<NAME>``: upper-cased, without characters outside [A-Za-z0-9_] or leading digits."""
    return _NOT_NAME.sub("", name).upper().lstrip("0123456789")


def _version_json(props: dict[str, str], version: dict[str, Any] | None) -> dict[str, Any]:
    version = version or {}
    return {
        "version": {
            "versionId": version.get("id") or version.get("run_id"),
            "versionNumber": version.get("number"),
            "versionName": props.get("versionName", ""),
            "propertyBag": props,
        }
    }


def prepare(ex: Execution) -> dict[str, str]:
    """Lay out IN/OUT and the job state dirs; the variables the steps get."""
    spec = ex.spec
    job_state = ex.dir / "job-state"
    job_state.mkdir()
    ex.shippable_job_state = job_state
    env: dict[str, str] = {
        "JOB_STATE": str(job_state),
        "JOB_PREVIOUS_STATE": str(ex.state),
        "JOB_PATH": str(ex.dir),
        "BUILD_DIR": str(ex.work),
        "SHIPPABLE_BUILD_DIR": str(ex.work),
        "PATH": f"{Path(sys.executable).parent}:{ex.env.get('PATH', '/usr/bin:/bin')}",
    }
    for inp in spec.inputs:
        d = ex.inputs / inp.name
        (d / "version.json").write_text(json.dumps(_version_json(inp.properties, inp.version)) + "\n")
        files = d / ("state" if inp.kind == "job" else "files")
        files.mkdir(exist_ok=True)
        n = env_name(inp.name)
        version = inp.version or {}
        env.update(
            {
                f"{n}_NAME": inp.name,
                f"{n}_TYPE": inp.type,
                f"{n}_OPERATION": "IN",
                f"{n}_PATH": str(d),
                f"{n}_META": str(d),
                f"{n}_STATE": str(files),
                f"{n}_ID": str(version.get("id") or version.get("run_id") or ""),
                f"{n}_VERSIONID": str(version.get("id") or version.get("run_id") or ""),
                f"{n}_VERSIONNUMBER": str(version.get("number") or ""),
                f"{n}_VERSIONNAME": inp.properties.get("versionName", ""),
            }
        )
        if inp.type == "params":
            env.update({f"{n}_PARAMS_{env_name(k)}": v for k, v in inp.properties.items()})
    for out in spec.outputs:
        state = ex.outputs / f"{out.name}.files"
        state.mkdir(parents=True, exist_ok=True)
        n = env_name(out.name)
        env.setdefault(f"{n}_NAME", out.name)
        env.setdefault(f"{n}_TYPE", out.type)
        env[f"{n}_OPERATION"] = "OUT" if f"{n}_PATH" not in env else "IN_OUT"
        env[f"{n}_OUT_STATE"] = str(state)
        env.setdefault(f"{n}_STATE", str(state))
        env.setdefault(f"{n}_PATH", str(ex.outputs))
        env.setdefault(f"{n}_META", str(ex.outputs))
    return env


def _env_file(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [
        ln for ln in path.read_text(errors="replace").splitlines() if "=" in ln and not ln.startswith("#")
    ]


def collect(ex: Execution) -> None:
    """After the steps: ``.env`` files into outputs and run properties, a trace on every OUT version,
    and which state the run keeps (its own if it succeeded, else the previous run's)."""
    job_state = ex.shippable_job_state
    assert job_state is not None
    if ex.status != "succeeded":
        ex.kept_state = ex.state
        return
    ex.kept_state = job_state
    trace = json.dumps(
        [
            {
                "resource": i.name,
                "versionId": (i.version or {}).get("id") or (i.version or {}).get("run_id"),
                "versionNumber": (i.version or {}).get("number"),
                "versionName": i.properties.get("versionName", ""),
            }
            for i in ex.spec.inputs
        ],
        separators=(",", ":"),
    )
    for out in ex.spec.outputs:
        lines = _env_file(job_state / f"{out.name}.env")
        files = ex.outputs / f"{out.name}.files"
        if not lines and not any(files.iterdir()):
            continue
        with open(ex.outputs / out.name, "a", encoding="utf-8") as f:
            for line in [*lines, f"trace={trace}"]:
                f.write(line + "\n")
    own = _env_file(job_state / f"{ex.spec.job}.env")
    if own:
        with open(ex.run_properties, "a", encoding="utf-8") as f:
            f.writelines(line + "\n" for line in own)
