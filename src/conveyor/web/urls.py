"""Where each page lives. Every link the UI draws is built here, with names quoted, so a name with a
space or a ``#`` still links to its page."""

from __future__ import annotations

from urllib.parse import quote, urlencode

#: Every page but the pipelines list lives under this prefix: Clever's API owns ``/workflows`` and ``/jobs``.
PREFIX = "/ui"
HOME = "/"
LOGIN = f"{PREFIX}/login"
STATIC = f"{PREFIX}/static"


def _q(name: str) -> str:
    return quote(name, safe="")


def pipeline_url(pipeline: str) -> str:
    return f"{PREFIX}/pipelines/{_q(pipeline)}"


def job_url(pipeline: str, job: str) -> str:
    return f"{pipeline_url(pipeline)}/jobs/{_q(job)}"


def resource_url(pipeline: str, resource: str) -> str:
    return f"{pipeline_url(pipeline)}/resources/{_q(resource)}"


def run_url(run_id: int) -> str:
    return f"{PREFIX}/runs/{run_id}"


def workflows_url(**query: str | None) -> str:
    params = {k: v for k, v in query.items() if v}
    return f"{PREFIX}/workflows" + (f"?{urlencode(params)}" if params else "")


def workflow_url(uid: str) -> str:
    return f"{PREFIX}/workflows/{_q(uid)}"


def workers_url() -> str:
    return f"{PREFIX}/workers"


def tink_workflow_url(workflow_id: str) -> str:
    return f"{PREFIX}/tinkerbell/workflows/{_q(workflow_id)}"
