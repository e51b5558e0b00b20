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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conveyor",
        description="Stateful assembly lines: versioned resources, jobs, runs and state, from YAML.",
    )
    parser.add_argument("--version", action="version", version=f"conveyor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check pipeline files; print every problem as FILE:LINE:COL: message")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(handler=_lazy("definition", "validate"))

    p = sub.add_parser("import", help="translate another system's file into conveyor's format")
    isub = p.add_subparsers(dest="format", metavar="FORMAT", required=True)
    q = isub.add_parser("shippable", help="a shippable.yml (or its split files): print the native pipeline")
    q.add_argument("file", metavar="FILE")
    q.add_argument("--graph", action="store_true", help="print the graph (resources -> jobs) instead")
    q.set_defaults(handler=_lazy("definition", "import_shippable"))

    p = sub.add_parser("schema", help="print the JSON Schema of the pipeline format")
    p.set_defaults(handler=_lazy("definition", "schema"))

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

    p = sub.add_parser("job", help="jobs")
    jsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = jsub.add_parser("trigger", help="start a run of a job (it runs on the next `conveyor run`)")
    q.add_argument("name", metavar="JOB")
    _pipeline_opt(q)
    _json_opt(q)
    _remote_opts(q)
    q.set_defaults(handler=_lazy("job", "trigger"))

    p = sub.add_parser("runs", help="list runs, newest first; with a RUN id, show that run and its lineage")
    p.add_argument("run_id", nargs="?", type=int, metavar="RUN")
    p.add_argument("-j", "--job", help="only runs of this job")
    p.add_argument("-n", "--limit", type=int, default=30)
    _pipeline_opt(p)
    _json_opt(p)
    _remote_opts(p)
    p.set_defaults(handler=_lazy("runs", "runs"))

    p = sub.add_parser("logs", help="print a run's log")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("-f", "--follow", action="store_true", help="keep printing until the run ends")
    _remote_opts(p)
    p.set_defaults(handler=_lazy("runs", "logs"))

    for verb, helptext in (("approve", "approve a run waiting for approval"), ("reject", "reject it")):
        p = sub.add_parser(verb, help=helptext)
        p.add_argument("run_id", type=int, metavar="RUN")
        p.add_argument("-m", "--comment", default="")
        _remote_opts(p)
        p.set_defaults(handler=_lazy("runs", verb))

    p = sub.add_parser("cancel", help="cancel a run (a running one is killed by its worker)")
    p.add_argument("run_id", type=int, metavar="RUN")
    p.add_argument("-r", "--reason", required=True)
    _remote_opts(p)
    p.set_defaults(handler=_lazy("runs", "cancel"))

    p = sub.add_parser("apply", help="apply a pipeline (a new version if it changed) without running it")
    p.add_argument("file", metavar="FILE")
    _remote_opts(p)
    _json_opt(p)
    p.set_defaults(handler=_lazy("apply", "apply"))

    p = sub.add_parser("server", help="serve the HTTP API, the scheduler and embedded workers")
    p.add_argument("--host", default=os.environ.get("CONVEYOR_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CONVEYOR_PORT", "8321")))
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="embedded worker slots (0: none)")
    p.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="embedded workers' labels"
    )
    p.add_argument("--no-auth", action="store_true", help="no tokens needed (local play only)")
    p.set_defaults(handler=_lazy("server", "server"))

    p = sub.add_parser("worker", help="a remote worker: lease runs meant for it from a server and run them")
    p.add_argument(
        "--server", default=os.environ.get("CONVEYOR_SERVER"), required="CONVEYOR_SERVER" not in os.environ
    )
    p.add_argument("--token", default=os.environ.get("CONVEYOR_TOKEN"))
    p.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("-c", "--concurrency", type=int, default=os.cpu_count() or 2)
    p.add_argument("--name", default=None, help="default: worker:HOST:PID")
    p.set_defaults(handler=_lazy("worker", "worker"))

    _add_statemachine_parsers(sub)

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
    """``definition``, ``workflow`` and ``state-resource``: state-machine workflows (Clever's model)."""
    sm = "statemachine"
    p = sub.add_parser("definition", help="workflow definitions (States Language state machines)")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    q = dsub.add_parser("apply", help="store definitions from a JSON/YAML file (one or a list): new versions")
    q.add_argument("file", metavar="FILE")
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "apply"))

    p = sub.add_parser("workflow", help="workflows: start one from a definition, watch, cancel, resume")
    wsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    def running_opts(q: argparse.ArgumentParser) -> None:
        q.add_argument("--detach", action="store_true", help="embedded: queue it and return at once")
        q.add_argument("--wait", action="store_true", help="with --server: wait until it ends")
        q.add_argument("-c", "--concurrency", type=int, default=os.cpu_count() or 2)
        _json_opt(q)
        _remote_opts(q)

    q = wsub.add_parser("start", help="start a workflow of a definition (embedded: runs it to the end)")
    q.add_argument("name", metavar="DEFINITION")
    q.add_argument("--input", "-i", default=None, help="JSON input, or @FILE (default: {})")
    q.add_argument("--version", type=int, default=None, help="definition version (default: the latest)")
    q.add_argument("--namespace", default="", help="where its Task resources are looked up")
    running_opts(q)
    q.set_defaults(handler=_lazy(sm, "start"))
    q = wsub.add_parser("get", help="a workflow: status, input, output and every state it went through")
    q.add_argument("id", metavar="ID")
    _json_opt(q)
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "get"))
    q = wsub.add_parser("list", help="a definition's workflows, newest first")
    q.add_argument("--definition", "-d", required=True, metavar="NAME")
    q.add_argument("--status", choices=("queued", "running", "succeeded", "failed", "cancelled"))
    q.add_argument("-n", "--limit", type=int, default=20)
    _json_opt(q)
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "list_workflows"))
    q = wsub.add_parser("cancel", help="cancel a workflow (its running tasks are killed)")
    q.add_argument("id", metavar="ID")
    q.add_argument("-r", "--reason", required=True)
    _remote_opts(q)
    q.set_defaults(handler=_lazy(sm, "cancel"))
    q = wsub.add_parser("resume", help="start a finished workflow again from a state, as a new workflow")
    q.add_argument("id", metavar="ID")
    q.add_argument("--start-at", required=True, metavar="STATE")
    running_opts(q)
    q.set_defaults(handler=_lazy(sm, "resume"))

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
    parser = build_parser()
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
