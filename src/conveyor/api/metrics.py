"""Prometheus metrics: runs by status, queue depth, lease-to-start latency, HTTP latency."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conveyor.service import Service


class _RunsCollector(Collector):
    """Active runs by status, read from the store at scrape time (so every replica agrees)."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.service.status_counts()
        runs = GaugeMetricFamily("conveyor_runs", "Runs not yet finished, by status", labels=["status"])
        for status in ("pending", "waiting_approval", "queued", "running"):
            runs.add_metric([status], counts.get(status, 0))
        yield runs
        yield GaugeMetricFamily(
            "conveyor_queue_depth", "Runs queued for a worker", value=counts.get("queued", 0)
        )


class Metrics:
    def __init__(self, service: Service) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_RunsCollector(service))
        self.finished = Counter(
            "conveyor_runs_finished", "Runs finished through this server", ["status"], registry=self.registry
        )
        self.lease_to_start = Histogram(
            "conveyor_lease_to_start_seconds",
            "Time from queued to leased by a worker",
            buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.http = Histogram(
            "conveyor_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route", "status"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
            registry=self.registry,
        )
        service.on_leased.append(self.lease_to_start.observe)
        service.on_finished.append(lambda status: self.finished.labels(status).inc())


class MeasureMiddleware:
    """Pure ASGI: HTTP latency per (method, route, status), up to the response's start (a stream's
    headers), like ``BaseHTTPMiddleware`` measured it, without its per-request task and streams."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.http = metrics.http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                path = getattr(scope.get("route"), "path", "unmatched")
                self.http.labels(scope["method"], path, str(message["status"])).observe(
                    time.perf_counter() - start
                )
            await send(message)

        await self.app(scope, receive, measured)
