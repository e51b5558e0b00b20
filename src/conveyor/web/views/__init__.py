"""The UI's pages, one module per noun; each is an ``APIRouter`` of ``PageRoute`` routes."""

from __future__ import annotations

from conveyor.web.views import jobs, login, pipelines, resources, runs, tinkerbell, workers, workflows

ROUTERS = [m.router for m in (login, pipelines, jobs, resources, runs, workflows, tinkerbell, workers)]
