"""schemathesis against /openapi.json: generated requests, valid and not, never get a 5xx."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from conveyor import definitions
from conveyor.api.app import create_app
from conveyor.service import Service
from conveyor.settings import Settings
from conveyor.store import open_store

_HOME = Path(__file__).resolve().parents[2] / ".conveyor" / "fuzz"


def _app() -> object:
    import shutil

    shutil.rmtree(_HOME, ignore_errors=True)
    service = Service(open_store(f"sqlite:///{_HOME}/fuzz.db"), Settings(home=_HOME))
    example = Path(__file__).resolve().parents[2] / "examples" / "webapp-line.yml"
    service.apply(definitions.load_text(example.read_bytes(), str(example), "webapp"))
    _, token = service.create_token("fuzz", "admin")
    app = create_app(service, auth=True)
    app.state.fuzz_token = token
    return app


APP = _app()
# Following a log streams until its run ends, and a lease (or a Tinkerbell worker's ask for work) may
# wait a minute for work: they are exercised by the acceptance tests instead of being fuzzed into long
# waits here.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP).exclude(path_regex=r"(/logs|/lease|/work)$")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_server_errors(case: schemathesis.Case) -> None:
    token = APP.state.fuzz_token  # type: ignore[attr-defined]
    case.call_and_validate(checks=[not_a_server_error], headers={"Authorization": f"Bearer {token}"})
