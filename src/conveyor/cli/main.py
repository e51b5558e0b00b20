"""The ``conveyor`` command: parse arguments, call one command module, map errors to exit codes.

argparse rather than Typer/Click: the whole of ``conveyor run`` must start in 0.15 s, and argparse
costs 0.015 s to Typer's 0.08 s (../shared/PERF-FACTS.md). Command modules are imported only when
their command runs, and Rich only when something is drawn.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from conveyor import __version__
from conveyor.errors import ConveyorError, Interrupted, InvalidDefinition

Handler = Callable[[argparse.Namespace], int]


def _lazy(module: str, func: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        return int(getattr(importlib.import_module(f"conveyor.cli.{module}"), func)(args))

    return handler


def _pipeline_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-p",
        "--pipeline",
        default=os.environ.get("CONVEYOR_PIPELINE"),
        help="pipeline name (default: the only one in the store; env CONVEYOR_PIPELINE)",
    )


def _remote_opts(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--server",
        default=os.environ.get("CONVEYOR_SERVER"),
        help="talk to this conveyor server (env CONVEYOR_SERVER) instead of the embedded store",
    )
    p.add_argument("--token", default=os.environ.get("CONVEYOR_TOKEN"), help="API token (env CONVEYOR_TOKEN)")


def _json_opt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _tink_opts(p: argparse.ArgumentParser, formats: bool = True, headers: bool = False) -> None:
    """``--format`` (and ``--no-headers``) where tink prints a table, plus ``--server``/``--token``."""
    if formats:
        p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    if headers:
        p.add_argument("--no-headers", action="store_true", help="leave the header row out")
    _remote_opts(p)


def _tink_worker_opts(p: argparse.ArgumentParser) -> None:
    """``conveyor worker`` bound to one Tinkerbell machine instead of serving runs by label."""
    g = p.add_argument_group("Tinkerbell", "run the workflow actions of one machine (give one of these)")
    g.add_argument("--hardware-id", default=os.environ.get("CONVEYOR_HARDWARE_ID"), help="its hardware id")
    g.add_argument("--mac", default=None, help="... or a MAC address of its hardware record")
    g.add_argument("--ip", default=None, help="... or an IP address of its hardware record")
    g.add_argument(
        "--runtime",
        default=os.environ.get("CONVEYOR_TINK_RUNTIME", "podman"),
        choices=("podman", "docker", "host"),
        help="where actions run (default podman; host: the command itself, NOT isolated)",
    )
    g.add_argument("--retry-interval", type=float, default=1.0, help="seconds between asks for work")
    g.add_argument(
        "--max-file-size", type=int, default=10 * 1024 * 1024, help="largest /workflow/data pushed (bytes)"
    )


def _tinkerbell_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], command: str | None
) -> None:
    """``template`` and ``hardware`` (Tinkerbell); ``workflow`` is built in ``_workflow_parser``.

    Their subcommands are built only when one of them runs (``command``; None: always): they cost 6 ms,
    which every other command would pay at start-up."""
    template_help = "Tinkerbell templates: create, get, list, update, delete"
    hardware_help = "Tinkerbell hardware: push, get, list, id, mac, ip, delete"
    if command not in (None, "template", "hardware"):
        sub.add_parser("template", help=template_help)
        sub.add_parser("hardware", help=hardware_help)
        return
    p = sub.add_parser("template", help=template_help)
    tsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = tsub.add_parser("create", help="validate and store a template (its YAML `name` names it)")
    q.add_argument("-f", "--file", help="the template file (default: stdin if piped, else ./template.yaml)")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("template", "create"))
    q = tsub.add_parser("get", help="templates by id (default: all)")
    q.add_argument("ids", nargs="*", metavar="ID")
    _tink_opts(q, headers=True)
    q.set_defaults(handler=_lazy("template", "get"))
    q = tsub.add_parser("list", help="live templates; --name filters (* wildcards)")
    q.add_argument("-n", "--name", default=None)
    q.add_argument("-q", "--quiet", action="store_true", help="only the ids")
    _tink_opts(q, headers=True)
    q.set_defaults(handler=_lazy("template", "list_templates"))
    q = tsub.add_parser("show", help="print a template's stored YAML")
    q.add_argument("id", metavar="ID")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("template", "show"))
    q = tsub.add_parser("update", help="a new text (validated) and/or name for templates")
    q.add_argument("ids", nargs="+", metavar="ID")
    q.add_argument("-f", "--file", "-p", "--path", dest="file", help="the new template file")
    q.add_argument("--name", default=None)
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("template", "update"))
    q = tsub.add_parser("delete", help="soft-delete templates (their names are free again)")
    q.add_argument("ids", nargs="+", metavar="ID")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("template", "delete"))

    p = sub.add_parser("hardware", help=hardware_help)
    hsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = hsub.add_parser("push", help="store a hardware JSON document (it must have an id)")
    q.add_argument("-f", "--file", help="the JSON file (default: stdin)")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("hardware", "push"))
    for verb, helptext, handler in (
        ("get", "hardware by id (default: all), a row per interface", "get"),
        ("list", "all live hardware", "list_hardware"),
    ):
        q = hsub.add_parser(verb, help=helptext)
        if verb == "get":
            q.add_argument("ids", nargs="*", metavar="ID")
        else:
            q.add_argument("-q", "--quiet", action="store_true", help="only the ids")
        _tink_opts(q, headers=True)
        q.set_defaults(handler=_lazy("hardware", handler))
    q = hsub.add_parser("id", help="print hardware records' JSON")
    q.add_argument("ids", nargs="+", metavar="ID")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("hardware", "by_id"))
    for verb, metavar, handler in (("mac", "MAC", "by_mac"), ("ip", "IP", "by_ip")):
        q = hsub.add_parser(verb, help=f"the hardware answering to a {metavar}")
        q.add_argument("addresses", nargs="+", metavar=metavar)
        q.add_argument("-d", "--details", action="store_true", help="print the JSON")
        _tink_opts(q)
        q.set_defaults(handler=_lazy("hardware", handler))
    q = hsub.add_parser("delete", help="soft-delete hardware records")
    q.add_argument("ids", nargs="+", metavar="ID")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("hardware", "delete"))


# ---- `conveyor workflow` ------------------------------------------------------------------------
# One noun, several kinds of workflow. The Tinkerbell subcommands are here; state-machine workflows add
# theirs (start, cancel, resume) beside them in this block. get/list/delete look up Tinkerbell workflows.
def _workflow_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], command: str | None) -> None:
    """Built whole only when ``workflow`` runs (``command``; None: always), as ``_tinkerbell_parsers``."""
    p = sub.add_parser(
        "workflow", help="workflows: Tinkerbell (create from a template and machines), state machines (start)"
    )
    if command not in (None, "workflow"):
        return
    wsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = wsub.add_parser("create", help="render a Tinkerbell template for machines: an immutable workflow")
    q.add_argument("-t", "--template", required=True, help="the template's id (or name)")
    q.add_argument(
        "-r", "--hardware", required=True, help='the machines as JSON: \'{"device_1":"08:00:27:00:00:01"}\''
    )
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("tinkerbell_workflow", "create"))
    q = wsub.add_parser(
        "get", help="workflows by id (default: every Tinkerbell one); a state-machine one in full"
    )
    q.add_argument("ids", nargs="*", metavar="ID")
    q.add_argument("--rendered", action="store_true", help="print the rendered template YAML instead")
    _json_opt(q)
    _tink_opts(q, headers=True)
    q.set_defaults(handler=_lazy("workflow", "get"))
    q = wsub.add_parser(
        "list", help="Tinkerbell workflows; with --definition, that definition's workflows, newest first"
    )
    q.add_argument("-q", "--quiet", action="store_true", help="only the ids")
    q.add_argument("--definition", "-d", metavar="NAME", help="a state-machine definition's workflows")
    q.add_argument("--status", choices=("queued", "running", "succeeded", "failed", "cancelled"))
    q.add_argument("-n", "--limit", type=int, default=20)
    _json_opt(q)
    _tink_opts(q, headers=True)
    q.set_defaults(handler=_lazy("workflow", "list_workflows"))
    sm = "statemachine"

    def running_opts(q: argparse.ArgumentParser) -> None:
        q.add_argument("--detach", action="store_true", help="embedded: queue it and return at once")
        q.add_argument("--wait", action="store_true", help="with --server: wait until it ends")
        q.add_argument("-c", "--concurrency", type=int, default=os.cpu_count() or 2)
        _json_opt(q)
        _remote_opts(q)

    q = wsub.add_parser("start", help="start a state-machine workflow (embedded: runs it to the end)")
    q.add_argument("name", metavar="DEFINITION")
    q.add_argument("--input", "-i", default=None, help="JSON input, or @FILE (default: {})")
    q.add_argument("--version", type=int, default=None, help="definition version (default: the latest)")
    q.add_argument("--namespace", default="", help="where its Task resources are looked up")
    running_opts(q)
    q.set_defaults(handler=_lazy(sm, "start"))
    q = wsub.add_parser("cancel", help="cancel a state-machine workflow (its running tasks are killed)")
    q.add_argument("id", metavar="ID")
    q.add_argument("-r", "--reason", required=True)
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "cancel"))
    q = wsub.add_parser("resume", help="start a finished workflow again from a state, as a new workflow")
    q.add_argument("id", metavar="ID")
    q.add_argument("--start-at", required=True, metavar="STATE")
    running_opts(q)
    q.set_defaults(handler=_lazy(sm, "resume"))
    q = wsub.add_parser("delete", help="delete workflows (no worker is handed them again)")
    q.add_argument("ids", nargs="+", metavar="ID")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("tinkerbell_workflow", "delete"))
    q = wsub.add_parser("state", help="progress, current task, action, worker and action state")
    q.add_argument("id", metavar="ID")
    _tink_opts(q)
    q.set_defaults(handler=_lazy("tinkerbell_workflow", "state"))
    q = wsub.add_parser("events", help="every action report: worker, task, action, seconds, message, status")
    q.add_argument("id", metavar="ID")
    _tink_opts(q, headers=True)
    q.set_defaults(handler=_lazy("tinkerbell_workflow", "events"))
    q = wsub.add_parser("data", help="the workflow's ephemeral data (default: the latest version)")
    q.add_argument("id", metavar="ID")
    q.add_argument("-v", "--version", type=int, default=0, help="this version (default 0: the latest)")
    q.add_argument("-m", "--metadata", action="store_true", help="the version's metadata instead")
    q.add_argument("-l", "--latest", action="store_true", help="print the latest version's number")
    _tink_opts(q, formats=False)
    q.set_defaults(handler=_lazy("tinkerbell_workflow", "data"))


# ---- end of `conveyor workflow` -----------------------------------------------------------------


#: Every top-level command. Given one of them, ``build_parser`` builds only its parser: the other 30
#: (and their sub-commands) cost 20 ms, which each run of one command would pay at start-up.
COMMANDS = frozenset(
    (
        "validate", "import", "schema", "run", "resource", "job", "runs", "logs", "approve", "reject",
        "cancel", "apply", "server", "worker", "template", "hardware", "workflow", "definition",
        "state-resource", "token", "secret",
    )
)  # fmt: skip


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the ``command`` about to run (one of ``COMMANDS``), only its part.
    Anything else (None, ``--help``, a typo) builds every command, for the help or the error."""
    parser = argparse.ArgumentParser(
        prog="conveyor",
        description="Stateful assembly lines: versioned resources, jobs, runs and state, from YAML.",
    )
    parser.add_argument("--version", action="version", version=f"conveyor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    known = command in COMMANDS

    def want(name: str) -> bool:
        return not known or command == name

    if want("validate"):
        p = sub.add_parser(
            "validate", help="check pipeline files; print every problem as FILE:LINE:COL: message"
        )
        p.add_argument("files", nargs="+", metavar="FILE")
        p.set_defaults(handler=_lazy("definition", "validate"))

    if want("import"):
        p = sub.add_parser("import", help="translate another system's file into conveyor's format")
        isub = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
        q = isub.add_parser(
            "shippable", help="a shippable.yml (or its split files): print the native pipeline"
        )
        q.add_argument("file", metavar="FILE")
        q.add_argument("--graph", action="store_true", help="print the graph (resources -> jobs) instead")
        q.set_defaults(handler=_lazy("definition", "import_shippable"))

    if want("schema"):
        p = sub.add_parser("schema", help="print the JSON Schema of the pipeline format")
        p.set_defaults(handler=_lazy("definition", "schema"))

    if want("run"):
        p = sub.add_parser(
            "run", help="apply a pipeline and run every job that becomes ready, until none is left"
        )
        p.add_argument("file", metavar="FILE")
        p.add_argument(
            "-c",
            "--concurrency",
            type=int,
            default=os.cpu_count() or 2,
            help="runs at the same time (default: number of cores)",
        )
        p.add_argument(
            "--json", action="store_true", help="print a machine-readable summary instead of the live view"
        )
        p.add_argument("-q", "--quiet", action="store_true", help="no progress output, only the summary")
        p.set_defaults(handler=_lazy("run", "run"))

    if want("resource"):
        p = sub.add_parser("resource", help="resources and their versions")
        rsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        q = rsub.add_parser("put", help="make a new version of a resource: NAME key=value...")
        q.add_argument("name", metavar="NAME")
        q.add_argument("properties", nargs="*", metavar="KEY=VALUE")
        q.add_argument(
            "--replace", action="store_true", help="the version holds only these keys (default: merge)"
        )
        _pipeline_opt(q)
        _json_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("resource", "put"))
        q = rsub.add_parser("versions", help="list a resource's versions, newest first")
        q.add_argument("name", metavar="NAME")
        q.add_argument("-n", "--limit", type=int, default=20)
        _pipeline_opt(q)
        _json_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("resource", "versions"))
        q = rsub.add_parser("bump", help="a trigger resource's counter + 1, or a version resource's semver")
        q.add_argument("name", metavar="NAME")
        q.add_argument("--part", choices=("major", "minor", "patch", "alpha", "beta", "rc", "final"))
        _pipeline_opt(q)
        _json_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("resource", "bump"))
        q = rsub.add_parser("check", help="check a time or git resource now (the server does it on schedule)")
        q.add_argument("name", metavar="NAME")
        _pipeline_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("resource", "check"))
        q = rsub.add_parser("webhook-token", help="a new token for a webhook resource (printed once)")
        q.add_argument("name", metavar="NAME")
        _pipeline_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("resource", "webhook_token"))

    if want("job"):
        p = sub.add_parser("job", help="jobs")
        jsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        q = jsub.add_parser("trigger", help="start a run of a job (it runs on the next `conveyor run`)")
        q.add_argument("name", metavar="JOB")
        _pipeline_opt(q)
        _json_opt(q)
        _remote_opts(q)
        q.set_defaults(handler=_lazy("job", "trigger"))

    if want("runs"):
        p = sub.add_parser(
            "runs", help="list runs, newest first; with a RUN id, show that run and its lineage"
        )
        p.add_argument("run_id", nargs="?", type=int, metavar="RUN")
        p.add_argument("-j", "--job", help="only runs of this job")
        p.add_argument("-n", "--limit", type=int, default=30)
        _pipeline_opt(p)
        _json_opt(p)
        _remote_opts(p)
        p.set_defaults(handler=_lazy("runs", "runs"))

    if want("logs"):
        p = sub.add_parser("logs", help="print a run's log")
        p.add_argument("run_id", type=int, metavar="RUN")
        p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
        _remote_opts(p)
        p.set_defaults(handler=_lazy("runs", "logs"))

    if want("approve") or want("reject"):
        for verb, helptext in (("approve", "approve a run waiting for approval"), ("reject", "reject it")):
            p = sub.add_parser(verb, help=helptext)
            p.add_argument("run_id", type=int, metavar="RUN")
            p.add_argument("-m", "--comment", default="")
            _remote_opts(p)
            p.set_defaults(handler=_lazy("runs", verb))

    if want("cancel"):
        p = sub.add_parser("cancel", help="cancel a run (a running one is killed by its worker)")
        p.add_argument("run_id", type=int, metavar="RUN")
        p.add_argument("-r", "--reason", required=True)
        _remote_opts(p)
        p.set_defaults(handler=_lazy("runs", "cancel"))

    if want("apply"):
        p = sub.add_parser("apply", help="apply a pipeline (a new version if it changed) without running it")
        p.add_argument("file", metavar="FILE")
        _remote_opts(p)
        _json_opt(p)
        p.set_defaults(handler=_lazy("apply", "apply"))

    if want("server"):
        p = sub.add_parser("server", help="serve the HTTP API, the scheduler and embedded workers")
        p.add_argument("--host", default=os.environ.get("CONVEYOR_HOST", "127.0.0.1"))
        p.add_argument("--port", type=int, default=int(os.environ.get("CONVEYOR_PORT", "8321")))
        p.add_argument(
            "--workers", type=int, default=os.cpu_count() or 2, help="embedded worker slots (0: none)"
        )
        p.add_argument(
            "--label", action="append", default=[], metavar="KEY=VALUE", help="embedded workers' labels"
        )
        p.add_argument("--no-auth", action="store_true", help="no tokens needed (local play only)")
        p.set_defaults(handler=_lazy("server", "server"))

    if want("worker"):
        p = sub.add_parser(
            "worker", help="a remote worker: lease runs meant for it from a server and run them"
        )
        p.add_argument(
            "--server",
            default=os.environ.get("CONVEYOR_SERVER"),
            required="CONVEYOR_SERVER" not in os.environ,
        )
        p.add_argument("--token", default=os.environ.get("CONVEYOR_TOKEN"))
        p.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
        p.add_argument("-c", "--concurrency", type=int, default=os.cpu_count() or 2)
        p.add_argument("--name", default=None, help="default: worker:HOST:PID")
        _tink_worker_opts(p)
        p.set_defaults(handler=_lazy("worker", "worker"))

    if want("template") or want("hardware"):
        _tinkerbell_parsers(sub, command)
    if want("workflow"):
        _workflow_parser(sub, command)
    if want("definition") or want("state-resource"):
        _add_statemachine_parsers(sub)

    if want("token"):
        p = sub.add_parser("token", help="API tokens (in the store this command opens)")
        tsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        q = tsub.add_parser("create", help="make a token; it is printed once")
        q.add_argument("--role", required=True, choices=("viewer", "operator", "admin", "worker"))
        q.add_argument("--name", default=None)
        q.set_defaults(handler=_lazy("token", "create"))
        q = tsub.add_parser("list", help="list tokens (never their secret)")
        q.set_defaults(handler=_lazy("token", "list_tokens"))
        q = tsub.add_parser("revoke", help="revoke a token")
        q.add_argument("token_id", type=int, metavar="ID")
        q.set_defaults(handler=_lazy("token", "revoke"))

    if want("secret"):
        _add_secret_parsers(sub)
    return parser


def _add_secret_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``secret``: integrations (named key-value secrets, encrypted with CONVEYOR_SECRET_KEY)."""
    p = sub.add_parser("secret", help="integrations: named secrets that jobs' steps get as environment")
    ssub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = ssub.add_parser(
        "set", help="store secrets: NAME KEY=VALUE... (KEY=@FILE or KEY=- reads a file/stdin)"
    )
    q.add_argument("name", metavar="NAME")
    q.add_argument("values", nargs="+", metavar="KEY=VALUE")
    q.add_argument("--replace", action="store_true", help="drop the keys not given (default: keep them)")
    _remote_opts(q)
    q.set_defaults(handler=_lazy("secret", "set_secret"))
    q = ssub.add_parser("list", help="list integrations and their keys (never their values)")
    _json_opt(q)
    _remote_opts(q)
    q.set_defaults(handler=_lazy("secret", "list_secrets"))
    q = ssub.add_parser("delete", help="delete an integration")
    q.add_argument("name", metavar="NAME")
    _remote_opts(q)
    q.set_defaults(handler=_lazy("secret", "delete_secret"))
    q = ssub.add_parser("keygen", help="print a new key for CONVEYOR_SECRET_KEY")
    q.set_defaults(handler=_lazy("secret", "keygen"))


def _add_statemachine_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``definition`` and ``state-resource``: state-machine workflows (Clever's model); their
    ``workflow`` commands are in ``_workflow_parser``."""
    sm = "statemachine"
    p = sub.add_parser("definition", help="workflow definitions (States Language state machines)")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = dsub.add_parser("apply", help="store definitions from a JSON/YAML file (one or a list): new versions")
    q.add_argument("file", metavar="FILE")
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "apply"))

    p = sub.add_parser("state-resource", help="what a Task's Resource runs: exec:COMMAND or job:PIPELINE/JOB")
    ssub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = ssub.add_parser("put", help="create or replace a state resource")
    q.add_argument("name", metavar="NAME")
    q.add_argument("uri", metavar="URI")
    q.add_argument("--namespace", default="")
    q.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="workers it needs")
    _json_opt(q)
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "put_resource"))
    for verb, helptext in (("get", "show a state resource"), ("delete", "delete a state resource")):
        q = ssub.add_parser(verb, help=helptext)
        q.add_argument("name", metavar="NAME")
        q.add_argument("--namespace", default="")
        _remote_opts(q)
        q.set_defaults(handler=_lazy(sm, f"{verb}_resource"))


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `conveyor run approve RUN` reads naturally too; route it to the top-level verbs.
    if len(args_list) >= 2 and args_list[0] == "run" and args_list[1] in ("approve", "reject", "cancel"):
        args_list = args_list[1:]
    parser = build_parser(args_list[0] if args_list else "")
    args = parser.parse_args(args_list)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except InvalidDefinition as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return exc.exit_code
    except ConveyorError as exc:
        print(f"conveyor: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("conveyor: interrupted", file=sys.stderr)
        return 130
    except Interrupted:
        print("conveyor: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 0
