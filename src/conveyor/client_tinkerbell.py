"""The Tinkerbell part of ``client.Client``: the same method names as ``service.tinkerbell.TinkerbellOps``,
so the CLI calls one or the other without caring which (``remote(args) or open_service()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    import httpx

    from conveyor.tinkerbell.runstate import Report

BASE = "/api/v1/tinkerbell"


def _q(part: str) -> str:
    return quote(part, safe="")


class _Http(Protocol):
    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response: ...

    def json(self, method: str, path: str, **kwargs: Any) -> Any: ...


class TinkerbellClient:
    # -- templates ------------------------------------------------------------------------------
    def tink_create_template(self: _Http, text: str | bytes) -> dict[str, Any]:
        data = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        result: dict[str, Any] = self.json("POST", f"{BASE}/templates", json={"data": data})
        return result

    def tink_template(self: _Http, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/templates/{_q(ref)}")
        return result

    def tink_templates(self: _Http, name_filter: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name_filter} if name_filter else {}
        result: list[dict[str, Any]] = self.json("GET", f"{BASE}/templates", params=params)
        return result

    def tink_update_template(
        self: _Http, ref: str, data: str | bytes | None = None, name: str | None = None
    ) -> dict[str, Any]:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        body = {"data": text, "name": name}
        result: dict[str, Any] = self.json("PUT", f"{BASE}/templates/{_q(ref)}", json=body)
        return result

    def tink_delete_template(self: _Http, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("DELETE", f"{BASE}/templates/{_q(ref)}")
        return result

    # -- hardware -------------------------------------------------------------------------------
    def tink_push_hardware(self: _Http, text: str | bytes) -> dict[str, Any]:
        content = text.encode("utf-8") if isinstance(text, str) else text
        headers = {"Content-Type": "application/json"}
        result: dict[str, Any] = self.json("POST", f"{BASE}/hardware", content=content, headers=headers)
        return result

    def tink_hardware(self: _Http, hardware_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/hardware/{_q(hardware_id)}")
        return result

    def tink_hardware_by_mac(self: _Http, mac: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/hardware", params={"mac": mac})[0]
        return result

    def tink_hardware_by_ip(self: _Http, ip: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/hardware", params={"ip": ip})[0]
        return result

    def tink_hardware_list(self: _Http) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"{BASE}/hardware")
        return result

    def tink_delete_hardware(self: _Http, hardware_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("DELETE", f"{BASE}/hardware/{_q(hardware_id)}")
        return result

    # -- workflows ------------------------------------------------------------------------------
    def tink_create_workflow(self: _Http, template: str, hardware: str | bytes) -> dict[str, Any]:
        devices = hardware.decode("utf-8", "replace") if isinstance(hardware, bytes) else hardware
        body = {"template": template, "hardware": devices}
        result: dict[str, Any] = self.json("POST", f"{BASE}/workflows", json=body)
        return result

    def tink_workflow(self: _Http, workflow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/workflows/{_q(workflow_id)}")
        return result

    def tink_workflows(self: _Http) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"{BASE}/workflows")
        return result

    def tink_delete_workflow(self: _Http, workflow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("DELETE", f"{BASE}/workflows/{_q(workflow_id)}")
        return result

    def tink_workflow_state(self: _Http, workflow_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.json("GET", f"{BASE}/workflows/{_q(workflow_id)}/state")
        return result

    def tink_workflow_events(self: _Http, workflow_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"{BASE}/workflows/{_q(workflow_id)}/events")
        return result

    def tink_workflow_actions(self: _Http, workflow_id: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.json("GET", f"{BASE}/workflows/{_q(workflow_id)}/actions")
        return result

    def tink_data(self: _Http, workflow_id: str, version: int = 0, metadata: bool = False) -> bytes:
        params = {"version": version, "metadata": "true" if metadata else "false"}
        return self.request("GET", f"{BASE}/workflows/{_q(workflow_id)}/data", params=params).content

    def tink_data_version(self: _Http, workflow_id: str) -> int:
        return int(self.json("GET", f"{BASE}/workflows/{_q(workflow_id)}/data/version")["version"])

    # -- the worker protocol --------------------------------------------------------------------
    def tink_resolve_worker(self: _Http, mac: str | None = None, ip: str | None = None) -> str:
        """The hardware id of the machine answering to ``mac`` (or ``ip``), as a worker may ask it."""
        params = {"mac": mac} if mac else {"ip": ip or ""}
        return str(self.json("GET", f"{BASE}/workers", params=params)["hardware_id"])

    def tink_work(self: _Http, worker_id: str, wait: float = 0.0) -> list[dict[str, Any]]:
        path = f"{BASE}/workers/{_q(worker_id)}/work"
        result: list[dict[str, Any]] = self.json("GET", path, params={"wait": wait}, timeout=wait + 30.0)
        return result

    def tink_report(self: _Http, report: Report) -> dict[str, Any]:
        body = {
            "worker_id": report.worker_id,
            "task_name": report.task_name,
            "action_name": report.action_name,
            "action_status": report.status.wire,
            "seconds": report.seconds,
            "message": report.message,
            "hook": report.hook,
        }
        path = f"{BASE}/workflows/{_q(report.workflow_id)}/reports"
        result: dict[str, Any] = self.json("POST", path, json=body)
        return result

    def tink_pull_data(self: _Http, workflow_id: str) -> bytes:
        return self.request("GET", f"{BASE}/workflows/{_q(workflow_id)}/data/pull").content

    def tink_push_data(self: _Http, workflow_id: str, metadata: bytes, data: bytes) -> int:
        headers = {"Content-Type": "application/json", "X-Workflow-Metadata": metadata.decode("utf-8")}
        path = f"{BASE}/workflows/{_q(workflow_id)}/data"
        return int(self.json("PUT", path, content=data, headers=headers)["version"])

    def tink_note(self: _Http, workflow_id: str, worker_id: str, message: str) -> None:
        body = {"worker_id": worker_id, "message": message}
        self.request("POST", f"{BASE}/workflows/{_q(workflow_id)}/notes", json=body)
