"""``shipctl``: Shippable's helper for job scripts, on the PATH of every step of a Shippable-runtime job.

The state, info and utility commands of FACTS.md 3.5, reading the variables and files that
``worker/shippable.py`` lays out. Usage errors exit 99, as Shippable's did. One difference on purpose:
values containing ``=`` keep them (Shippable's runner cut them at the second ``=``). Only the standard
library is imported, so each call costs an interpreter start and little more.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

USAGE = 99


class Usage(Exception):
    """A command called the wrong way: the message says how to call it."""


class Failed(Exception):
    """A command that could not do its work (a missing file, say)."""


def _name(resource: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "", resource).upper().lstrip("0123456789")


def _env(resource: str, what: str) -> str:
    return os.environ.get(f"{_name(resource)}_{what.upper()}", "")


def _need(args: list[str], count: int, usage: str) -> list[str]:
    if len(args) != count:
        raise Usage(f"usage: shipctl {usage}")
    return args


def _job_state() -> Path:
    value = os.environ.get("JOB_STATE")
    if not value:
        raise Failed("$JOB_STATE is not set: shipctl runs inside a Shippable-runtime job")
    return Path(value)


def _copy(src: Path, dest: Path) -> None:
    if not src.exists():
        raise Failed(f"{src} does not exist")
    if src.is_dir():
        shutil.copytree(src, dest / src.name if dest.is_dir() else dest, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dest)


# -- state ------------------------------------------------------------------------------------------
def copy_file_to_state(args: list[str]) -> None:
    (f,) = _need(args, 1, "copy_file_to_state FILE")
    _copy(Path(f), _job_state())


def copy_file_from_prev_state(args: list[str]) -> None:
    f, dest = _need(args, 2, "copy_file_from_prev_state FILE DEST")
    src = Path(os.environ.get("JOB_PREVIOUS_STATE", "")) / f
    if src.exists():  # no previous state (first run) is not an error
        _copy(src, Path(dest))


def refresh_file_to_state(args: list[str]) -> None:
    (f,) = _need(args, 1, "refresh_file_to_state FILE")
    src = Path(f)
    if not src.exists():
        src = Path(os.environ.get("JOB_PREVIOUS_STATE", "")) / Path(f).name
    if src.exists():
        _copy(src, _job_state())


def _state_dir(resource: str, out: bool) -> Path:
    where = (_env(resource, "OUT_STATE") if out else "") or _env(resource, "STATE")
    if not where:
        raise Failed(f"{resource!r} is not an IN or OUT of this job")
    return Path(where)


def copy_file_to_resource_state(args: list[str]) -> None:
    f, resource = _need(args, 2, "copy_file_to_resource_state FILE RESOURCE")
    target = _state_dir(resource, out=True)
    target.mkdir(parents=True, exist_ok=True)
    _copy(Path(f), target)


def copy_file_from_resource_state(args: list[str]) -> None:
    resource, f, dest = _need(args, 3, "copy_file_from_resource_state RESOURCE FILE DEST")
    _copy(_state_dir(resource, out=False) / f, Path(dest))


def _write_state(resource: str, pairs: list[tuple[str, str]], reset: bool) -> None:
    path = _job_state() / f"{resource}.env"
    with open(path, "w" if reset else "a", encoding="utf-8") as f:
        for key, value in pairs:
            if not key or "=" in key or any(c.isspace() for c in key):
                raise Usage(f"bad key {key!r}: keys have no '=' or spaces")
            f.write(f"{key}={value}\n")


def post_resource_state(args: list[str]) -> None:
    resource, key, value = _need(args, 3, "post_resource_state RESOURCE KEY VALUE")
    _write_state(resource, [(key, value)], reset=True)


def put_resource_state(args: list[str]) -> None:
    resource, key, value = _need(args, 3, "put_resource_state RESOURCE KEY VALUE")
    _write_state(resource, [(key, value)], reset=False)


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for word in text.split():
        key, sep, value = word.partition("=")
        if not sep:
            raise Usage(f"expected KEY=VALUE, got {word!r}")
        out.append((key, value))
    return out


def post_resource_state_multi(args: list[str]) -> None:
    resource, pairs = _need(args, 2, 'post_resource_state_multi RESOURCE "K1=V1 K2=V2"')
    _write_state(resource, _pairs(pairs), reset=True)


def put_resource_state_multi(args: list[str]) -> None:
    resource, pairs = _need(args, 2, 'put_resource_state_multi RESOURCE "K1=V1 K2=V2"')
    _write_state(resource, _pairs(pairs), reset=False)


def replicate(args: list[str]) -> None:
    flags = [a for a in args if a.startswith("--")]
    names = [a for a in args if not a.startswith("--")]
    if len(names) != 2 or any(
        f not in ("--files-only", "--metadata-only", "--webhook-data-only", "--match-settings") for f in flags
    ):
        raise Usage("usage: shipctl replicate FROM TO [--files-only|--metadata-only]")
    source, target = names
    if "--files-only" not in flags:
        bag = _version(source).get("propertyBag", {})
        pairs = [(str(k), str(v)) for k, v in bag.items() if k != "trace"] if isinstance(bag, dict) else []
        _write_state(target, pairs, reset=True)
    if "--metadata-only" not in flags:
        src = _state_dir(source, out=False)
        if src.is_dir():
            shutil.copytree(src, _state_dir(target, out=True), dirs_exist_ok=True)


# -- info -------------------------------------------------------------------------------------------
def _version(resource: str) -> dict[str, object]:
    meta = _env(resource, "META")
    if not meta:
        raise Failed(f"{resource!r} is not an IN of this job")
    try:
        data = json.loads((Path(meta) / "version.json").read_text())
    except (OSError, ValueError) as exc:
        raise Failed(f"cannot read {resource}'s version.json: {exc}") from None
    version = data.get("version", {})
    return version if isinstance(version, dict) else {}


def _info(what: str) -> Callable[[list[str]], str]:
    def command(args: list[str]) -> str:
        (resource,) = _need(args, 1, f"get_resource_{what.lower()} RESOURCE")
        return _env(resource, what)

    return command


def get_resource_env(args: list[str]) -> str:
    resource, what = _need(args, 2, "get_resource_env RESOURCE NAME")
    return _env(resource, what)


def get_resource_version_key(args: list[str]) -> str:
    resource, key = _need(args, 2, "get_resource_version_key RESOURCE KEY")
    version = _version(resource)
    if key in ("versionName", "versionId", "versionNumber"):
        return "" if version.get(key) is None else str(version[key])
    bag = version.get("propertyBag", {})
    return str(bag.get(key, "")) if isinstance(bag, dict) else ""


def get_resource_pointer_key(args: list[str]) -> str:
    resource, key = _need(args, 2, "get_resource_pointer_key RESOURCE KEY")
    bag = _version(resource).get("propertyBag", {})
    return str(bag.get(key, "")) if isinstance(bag, dict) else ""


def get_params_resource(args: list[str]) -> str:
    resource, key = _need(args, 2, "get_params_resource RESOURCE KEY")
    return _env(resource, f"PARAMS_{_name(key)}")


def get_integration_resource_field(args: list[str]) -> str:
    resource, field = _need(args, 2, "get_integration_resource_field RESOURCE FIELD")
    return _env(resource, f"INTEGRATION_{_name(field)}")


# -- utilities --------------------------------------------------------------------------------------
def bump_version(args: list[str]) -> str:
    version, action = _need(args, 2, "bump_version VERSION major|minor|patch|alpha|beta|rc|final")
    from conveyor.engine.semver import bump

    try:
        return bump(version, action)
    except ValueError as exc:
        raise Usage(str(exc)) from None


def get_json_value(args: list[str]) -> str:
    file, field = _need(args, 2, "get_json_value FILE FIELD")
    try:
        value: object = json.loads(Path(file).read_text())
    except (OSError, ValueError) as exc:
        raise Failed(f"cannot read JSON from {file}: {exc}") from None
    for part in field.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ""
    return value if isinstance(value, str) else json.dumps(value)


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def replace(args: list[str]) -> None:
    if not args:
        raise Usage("usage: shipctl replace FILE...")
    for file in args:
        path = Path(file)
        try:
            text = path.read_text()
        except OSError as exc:
            raise Failed(f"cannot read {file}: {exc.strerror}") from None
        path.write_text(_VAR.sub(lambda m: os.environ.get(m.group(1) or m.group(2), m.group(0)), text))


def retry(args: list[str]) -> None:
    if not args:
        raise Usage("usage: shipctl retry COMMAND [ARG...]")
    code = 1
    for attempt in range(3):
        code = subprocess.call(args)
        if code == 0:
            return
        if attempt < 2:
            time.sleep(1)
    raise SystemExit(code)


def sanitize_shippable_string(args: list[str]) -> str:
    (text,) = _need(args, 1, "sanitize_shippable_string TEXT")
    return re.sub(r"[^A-Za-z0-9_]", "", text)


def to_uppercase(args: list[str]) -> str:
    (text,) = _need(args, 1, "to_uppercase TEXT")
    return text.upper()


COMMANDS: dict[str, Callable[[list[str]], str | None]] = {
    "copy_file_to_state": copy_file_to_state,
    "copy_file_from_prev_state": copy_file_from_prev_state,
    "refresh_file_to_state": refresh_file_to_state,
    "copy_file_to_resource_state": copy_file_to_resource_state,
    "copy_file_from_resource_state": copy_file_from_resource_state,
    "copy_resource_file_from_state": copy_file_from_resource_state,
    "post_resource_state": post_resource_state,
    "put_resource_state": put_resource_state,
    "post_resource_state_multi": post_resource_state_multi,
    "put_resource_state_multi": put_resource_state_multi,
    "replicate": replicate,
    "get_resource_env": get_resource_env,
    "get_resource_version_key": get_resource_version_key,
    "get_resource_pointer_key": get_resource_pointer_key,
    "get_params_resource": get_params_resource,
    "get_integration_resource_field": get_integration_resource_field,
    "get_integration_field": get_integration_resource_field,
    "bump_version": bump_version,
    "get_json_value": get_json_value,
    "replace": replace,
    "retry": retry,
    "sanitize_shippable_string": sanitize_shippable_string,
    "to_uppercase": to_uppercase,
    **{
        f"get_resource_{what.lower()}": _info(what)
        for what in (
            "ID",
            "META",
            "NAME",
            "OPERATION",
            "STATE",
            "TYPE",
            "PATH",
            "VERSIONID",
            "VERSIONNAME",
            "VERSIONNUMBER",
        )
    },
}
COMMANDS["get_resource_version_id"] = COMMANDS["get_resource_versionid"]
COMMANDS["get_resource_version_name"] = COMMANDS["get_resource_versionname"]
COMMANDS["get_resource_version_number"] = COMMANDS["get_resource_versionnumber"]
#: Shippable commands conveyor does not provide, and why.
MISSING = {
    "decrypt": "secrets are integrations in conveyor (`conveyor secret`), injected as variables",
    "notify": "notifications are declared in the pipeline (NOTIFY: hooks and notification resources)",
    "jdk": "conveyor does not manage JDKs on workers",
    "split_tests": "conveyor does not split test suites",
    "get_git_changes": "not provided yet",
}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print("usage: shipctl COMMAND [ARG...]\ncommands: " + " ".join(sorted(COMMANDS)), file=sys.stderr)
        return USAGE if not args else 0
    name, rest = args[0], args[1:]
    command = COMMANDS.get(name)
    if command is None:
        why = MISSING.get(name)
        print(f"shipctl: {name}: " + (why or "unknown command"), file=sys.stderr)
        return USAGE if why is None else 1
    try:
        out = command(rest)
    except Usage as exc:
        print(f"shipctl: {exc}", file=sys.stderr)
        return USAGE
    except Failed as exc:
        print(f"shipctl: {name}: {exc}", file=sys.stderr)
        return 1
    if out is not None:
        print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
