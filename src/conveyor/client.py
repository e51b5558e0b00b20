"""The typed HTTP client the CLI and remote workers share.

Errors come back as the same ``ConveyorError`` classes the service raises (mapped from the API's
stable ``code``), so the CLI prints them the same way whether it talks to a server or to the
embedded store. ``WorkerClient`` is a ``worker.pool.Backend`` over HTTP: it retries through
connection failures with backoff, so a worker rides out a server restart.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from conveyor import errors
from conveyor.client_tinkerbell import TinkerbellClient
from conveyor.model.work import RunResult, RunSpec, complete_one_by_one, result_to_json, spec_from_json

T = TypeVar("T")

_STATUS_CODES = {400: "bad_input", 404: "not_found", 409: "conflict", 413: "limit_exceeded"}
_BY_CODE: dict[str, type[errors.ConveyorError]] = {
    "bad_input": errors.BadInput,
    "invalid_request": errors.BadInput,
    "not_found": errors.NotFound,
    "conflict": errors.Conflict,
    "limit_exceeded": errors.LimitExceeded,
    "store_error": errors.StoreError,
}


class Unauthorized(errors.ConveyorError):
    """The server refused the token."""

    code = "unauthorized"
    http_status = 401
    exit_code = 4


class Unreachable(errors.ConveyorError):
    """The server cannot be reached."""

    code = "unreachable"
    http_status = 503
    exit_code = 3


def _q(part: str) -> str:
    return quote(part, safe="")


class Client(TinkerbellClient):
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    # -- plumbing -------------------------------------------------------------------------------
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {exc}") from exc
        if response.status_code >= 400:
            raise self._error(response)
        return response

    def _error(self, response: httpx.Response) -> errors.ConveyorError:
        try:
            body = response.json()
            if "error" in body:
                code, message = str(body["error"]["code"]), str(body["error"]["message"])
            else:  # workflow-manager's routes answer {"message": ...}, as that API did
                code, message = _STATUS_CODES.get(response.status_code, "error"), str(body["message"])
        except (ValueError, KeyError, TypeError):
            code, message = "error", f"HTTP {response.status_code}: {response.text[:200]}"
        if response.status_code in (401, 403):
            return Unauthorized(message)
        cls = _BY_CODE.get(code, errors.ConveyorError)
        err = cls(message)
        err.code = code
        return err

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    # -- what the CLI does ----------------------------------------------------------------------
    def apply(self, source: str, file: str, name: str | None = None) -> dict[str, Any]:
        result: dict[str, Any] = self.json(
            "POST", "/api/v1/pipelines", json={"source": source, "file": file, "name": name}
        )
        return result

    def _pipeline(self, pipeline: str | None) -> str:
        if pipeline:
            return pipeline
        names = [p["name"] for p in self.json("GET", "/api/v1/pipelines")]
        if len(names) == 1:
            return str(names[0])
        if not names:
            raise errors.NotFound("the server has no pipeline yet: `conveyor apply FILE` first")
        raise errors.BadInput(f"several pipelines exist ({', '.join(names)}): name one with --pipeline")

    def put_version(
        self, resource: str, properties: dict[str, str], pipeline: str | None = None, replace: bool = False
    ) -> dict[str, Any] | None:
        p = self._pipeline(pipeline)
        body = self.json(
            "POST",
            f"/api/v1/pipelines/{_q(p)}/resources/{_q(resource)}/versions",
            json={"properties": properties, "replace": replace},
        )
        version: dict[str, Any] | None = body["version"]
        return version

    def versions(self, resource: str, pipeline: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        p = self._pipeline(pipeline)
        result: list[dict[str, Any]] = self.json(
            "GET", f"/api/v1/pipelines/{_q(p)}/resources/{_q(resource)}/versions", params={"limit": limit}
        )
        return result

    def _resource_path(self, resource: str, pipeline: str | None) -> str:
        return f"/api/v1/pipelines/{_q(self._pipeline(pipeline))}/resources/{_q(resource)}"

    def bump(self, resource: str, part: str | None = None, pipeline: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = self.json(
            "POST", f"{self._resource_path(resource, pipeline)}/bump", json={"part": part}
        )
        return found

    def check_resource(self, resource: str, pipeline: str | None = None) -> int:
        return int(self.json("POST", f"{self._resource_path(resource, pipeline)}/check")["versions_made"])

    def webhook_token(self, resource: str, pipeline: str | None = None) -> str:
        return str(self.json("POST", f"{self._resource_path(resource, pipeline)}/webhook-token")["token"])

    def trigger_job(self, job: str, pipeline: str | None = None) -> dict[str, Any]:
        p = self._pipeline(pipeline)
        result: dict[str, Any] = self.json("POST", f"/api/v1/pipelines/{_q(p)}/jobs/{_q(job)}/trigger")
        return result

    def runs(
        self, pipeline: str | None = None, job: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": limit}
        if pipeline or job:
            params["pipeline"] = self._pipeline(pipeline)
        if job:
            params["job"] = job
        result: list[dict[str, Any]] = self.json("GET", "/api/v1/runs", params=params)
        return result

    def run(self, run_id: int) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"/api/v1/runs/{run_id}")
        return result

    def logs(self, run_id: int) -> bytes:
        return self.request("GET", f"/api/v1/runs/{run_id}/logs").content

    def follow_logs(self, run_id: int, write: Callable[[str], None]) -> str:
        """Stream the run's log (Server-Sent Events) until it ends; returns the final status."""
        try:
            with self.http.stream(
                "GET", f"/api/v1/runs/{run_id}/logs", params={"follow": "true"}, timeout=None
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self._error(response)
                event, data = "", []
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        data.append(line[6:])
                    elif line == "":
                        if event == "log":
                            write("\n".join(data))
                        elif event == "end":
                            return data[0] if data else ""
                        event, data = "", []
        except httpx.TransportError as exc:
            raise Unreachable(f"cannot reach {self.base_url}: {exc}") from exc
        return ""

    def cancel(self, run_id: int, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("POST", f"/api/v1/runs/{run_id}/cancel", json={"reason": reason})
        return result

    def approve(self, run_id: int, comment: str = "", approve: bool = True) -> dict[str, Any]:
        verb = "approve" if approve else "reject"
        result: dict[str, Any] = self.json("POST", f"/api/v1/runs/{run_id}/{verb}", json={"comment": comment})
        return result

    # -- integrations (secrets): values go in, never come back ------------------------------------
    def set_secret(self, name: str, values: dict[str, str], replace_all: bool = False) -> dict[str, Any]:
        body = {"values": values, "replace": replace_all}
        result: dict[str, Any] = self.json("PUT", f"/api/v1/secrets/{_q(name)}", json=body)
        return result

    def secrets(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", "/api/v1/secrets")
        return result

    def delete_secret(self, name: str) -> None:
        self.request("DELETE", f"/api/v1/secrets/{_q(name)}")


class WorkerClient(Client):
    """A remote worker's view of the server (``worker.pool.Backend``), riding out outages."""

    def __init__(self, base_url: str, token: str | None, stop: threading.Event | None = None) -> None:
        super().__init__(base_url, token, timeout=30.0)
        self.stop = stop or threading.Event()
        self.lease_seconds = 30.0

    def _retrying(self, call: Callable[[], T], what: str) -> T:
        delay = 0.2
        while True:
            try:
                return call()
            except Unreachable:
                if self.stop.is_set():
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 5.0)

    def register(self, name: str, labels: dict[str, str], hostname: str, pid: int) -> int:
        body = self._retrying(
            lambda: self.json(
                "POST",
                "/api/v1/workers",
                json={"name": name, "labels": labels, "hostname": hostname, "pid": pid},
            ),
            "register",
        )
        self.lease_seconds = float(body.get("lease_seconds", self.lease_seconds))
        return int(body["id"])

    def lease(
        self,
        worker_id: int,
        limit: int,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        wait: float = 0.0,
        workflow: str | None = None,
    ) -> list[RunSpec]:
        body = self._retrying(
            lambda: self.json(
                "POST",
                f"/api/v1/workers/{worker_id}/lease",
                json={"limit": limit, "wait": wait, "pipeline": pipeline, "workflow": workflow},
                timeout=wait + 30.0,
            ),
            "lease",
        )
        return [spec_from_json(s) for s in body["runs"]]

    def complete_and_lease(
        self,
        worker_id: int | None,
        run_id: int,
        result: RunResult,
        lease: int = 0,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        kind: str = "run",
        workflow: str | None = None,
    ) -> tuple[dict[str, Any], list[RunSpec]]:
        payload = {
            "result": result_to_json(result),
            "lease": lease,
            "pipeline": pipeline,
            "workflow": workflow,
        }
        path = f"/api/v1/workers/{worker_id}/{kind}s/{run_id}/complete"
        body = self._retrying(lambda: self.json("POST", path, json=payload), "complete")
        return body[kind], [spec_from_json(s) for s in body["runs"]]

    def complete_many_and_lease(
        self,
        worker_id: int | None,
        done: list[tuple[str, int, RunResult]],
        lease: int = 0,
        pipeline: str | None = None,
        labels: dict[str, str] | None = None,
        workflow: str | None = None,
        on_leased: Callable[[list[RunSpec]], None] | None = None,
    ) -> tuple[list[dict[str, Any] | None], list[RunSpec]]:
        """One request per run (the last one leases): each completion is its own call over HTTP.
        The server has committed the lease before it answers, so ``on_leased`` is not needed."""
        return complete_one_by_one(
            self.complete_and_lease, worker_id, done, lease, pipeline, labels, workflow
        )

    def heartbeat(
        self, worker_id: int, held: list[tuple[str, int]] | None = None
    ) -> list[tuple[tuple[str, int], str]]:
        payload = None
        if held is not None:
            payload = {
                "runs": [i for kind, i in held if kind == "run"],
                "tasks": [i for kind, i in held if kind == "task"],
            }
        body = self._retrying(
            lambda: self.json("POST", f"/api/v1/workers/{worker_id}/heartbeat", json=payload), "heartbeat"
        )
        out = []
        for c in body["cancel"]:
            kind = str(c.get("kind", "run"))
            out.append(((kind, int(c["task_id"] if kind == "task" else c["run_id"])), str(c["reason"])))
        return out

    def append_log(self, worker_id: int | None, run_id: int, data: bytes, kind: str = "run") -> None:
        self._retrying(
            lambda: self.request(
                "POST",
                f"/api/v1/workers/{worker_id}/{kind}s/{run_id}/log",
                content=data,
                headers={"Content-Type": "application/octet-stream"},
            ),
            "log",
        )

    def stop_worker(self, worker_id: int) -> None:
        try:
            self.request("DELETE", f"/api/v1/workers/{worker_id}")
        except errors.ConveyorError:
            pass
