"""Resources that make versions by themselves: time ticks, git polls, webhooks, trigger counters, semver.

Checks are rows (``resource_checks``) with the time each is next due, so the scheduler's tick asks one
indexed question ("what is due?") instead of walking every resource. A git poll runs outside any
transaction: the due check is first claimed (its time pushed out, so another replica skips it), then
polled, then its versions are recorded in one transaction that also triggers the jobs they start.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from conveyor.engine import checks as rules
from conveyor.engine import semver
from conveyor.errors import BadInput, NotFound
from conveyor.model.pipeline import Pipeline, canonical_json
from conveyor.service.base import Ctx
from conveyor.service.pipelines import PipelineOps
from conveyor.store.base import Row

#: A claimed check not finished within this long is due again (its checker died).
CLAIM_SECONDS = 300.0
#: A webhook body's top-level values become properties up to this size; the whole body is a file.
_MAX_WEBHOOK_VALUE = 1024
WEBHOOK_TOKEN_PREFIX = "cvwh_"


def _digest(source: dict[str, str]) -> str:
    return hashlib.sha256(canonical_json(source).encode()).hexdigest()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def sync_checks(ctx: Ctx, pipeline: Pipeline) -> None:
    """After an apply: a check row per time/git resource; a changed source starts over."""
    existing = {row["resource_id"]: row for row in ctx.tx.checks_of_pipeline(ctx.pipeline_id)}
    for resource in pipeline.resources:
        if resource.type not in rules.CHECKED_TYPES or not resource.source:
            continue
        rid = ctx.resource_rows[resource.name]["id"]
        source = dict(resource.source)
        digest = _digest(source)
        row = existing.pop(rid, None)
        if row is not None and row["source_digest"] == digest:
            continue
        first = ctx.now if resource.type == "git" else rules.next_due(resource.type, source, ctx.now)
        ctx.tx.put_check(rid, ctx.pipeline_id, digest, first)
    for rid in existing:
        ctx.tx.delete_check(rid)


class CheckOps(PipelineOps):
    # -- running due checks -----------------------------------------------------------------------
    def check_resources(self, limit: int = 20) -> int:
        """Run every due check (the scheduler tick calls this); returns how many versions they made."""
        now = self._now()
        upcoming = self.next_check()
        if upcoming is None or upcoming > now:  # most ticks: one read, no write transaction
            return 0
        with self._transaction() as tx:
            due = tx.due_checks(now, limit)
            for row in due:
                tx.claim_check(row["resource_id"], row["next_at"], now + CLAIM_SECONDS)
        return sum(self._run_check(row, now) for row in due)

    def next_check(self) -> float | None:
        with self.store.read_statement() as tx:  # one statement: on PostgreSQL, no BEGIN and COMMIT
            return tx.next_check()

    def check_resource(self, resource: str, pipeline: str | None = None) -> int:
        """Check one time/git resource now (``conveyor resource check``); returns the versions made."""
        now = self._now()
        with self._transaction() as tx:
            prow = self._pipeline(tx, pipeline)
            rrow = tx.resource_by_name(prow["id"], resource)
            if rrow is None:
                raise NotFound(f"no resource named {resource!r} in pipeline {prow['name']!r}")
            if rrow["type"] not in rules.CHECKED_TYPES:
                raise BadInput(
                    f"resource {resource!r} is a {rrow['type']} resource: only time and git are checked"
                )
            row = tx.check_of(rrow["id"])
            if row is None:
                raise NotFound(f"resource {resource!r} has no check yet: apply its pipeline first")
            row = {
                **row,
                "resource_name": resource,
                "resource_type": rrow["type"],
                "pipeline_name": prow["name"],
            }
        return self._run_check(row, now)

    def _run_check(self, row: Row, now: float) -> int:
        with self.store.read() as tx:
            prow = tx.pipeline_by_id(row["pipeline_id"])
            assert prow is not None
            graph = self._graph(tx, prow["id"], prow["current_version"])
        spec = next((r for r in graph.pipeline.resources if r.name == row["resource_name"]), None)
        if spec is None:
            return 0
        source = dict(spec.source)
        found: list[dict[str, str]] = []
        error = None
        cursor = row["cursor"]
        if spec.type == "time":
            tick = row["next_at"] if row["next_at"] <= now else now
            found = [{"time": _iso(tick)}]
        else:
            from conveyor.checkers import git

            try:
                commits = git.new_commits(
                    source["repo"], source.get("branch"), cursor, self.settings.home / "git"
                )
            except git.GitError as exc:
                error = str(exc)
                commits = []
            found = [
                {"sha": c.sha, "author": c.author, "committed_at": c.committed_at, "message": c.message}
                for c in commits
            ]
            if commits:
                cursor = commits[-1].sha
        next_at = rules.next_due(spec.type, source, now, self.settings.git_check_every)
        made = 0
        with self._write(row["pipeline_name"]) as ctx:
            for properties in found:
                if (
                    self._new_version(ctx, spec.name, properties, {}, spec.type, f"{spec.type} check")
                    is not None
                ):
                    made += 1
            ctx.tx.record_check(row["resource_id"], next_at, cursor, now, error)
            if error:
                ctx.tx.add_event(
                    "resource.check_failed", now, ctx.pipeline_id, None, resource=spec.name, error=error
                )
        return made

    # -- webhooks, trigger counters, semver -------------------------------------------------------
    def webhook_token(self, resource: str, pipeline: str | None = None) -> str:
        """A new token for a webhook resource (the old one stops working); shown once, stored hashed."""
        import secrets  # here, not at the top: it costs every command's start-up

        token = WEBHOOK_TOKEN_PREFIX + secrets.token_urlsafe(24)
        with self._transaction() as tx:
            prow = self._pipeline(tx, pipeline)
            rrow = tx.resource_by_name(prow["id"], resource)
            if rrow is None or rrow["type"] != "webhook":
                raise NotFound(f"no webhook resource named {resource!r} in pipeline {prow['name']!r}")
            tx.set_webhook_token(rrow["id"], hashlib.sha256(token.encode()).hexdigest())
        return token

    def webhook(self, pipeline: str, resource: str, token: str, body: bytes) -> Row | None:
        """A POSTed JSON object becomes a version of a webhook resource: its top-level values as
        properties and the whole body as the file ``payload.json``. The token is the resource's own."""
        import secrets  # here, not at the top: it costs every command's start-up

        with self.store.read() as tx:
            prow = tx.pipeline_by_name(pipeline)
            rrow = tx.resource_by_name(prow["id"], resource) if prow is not None else None
        wanted = rrow.get("webhook_token") if rrow is not None and rrow["type"] == "webhook" else None
        given = hashlib.sha256(token.encode()).hexdigest()
        if wanted is None or not secrets.compare_digest(wanted, given):
            raise NotFound(f"no webhook {pipeline}/{resource} with that token")
        try:
            value = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            raise BadInput(f"the webhook body is not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise BadInput("the webhook body must be a JSON object")
        properties = {}
        for key, item in value.items():
            text = item if isinstance(item, str) else json.dumps(item, separators=(",", ":"))
            if (
                len(text) <= _MAX_WEBHOOK_VALUE
                and key
                and "=" not in key
                and not any(c.isspace() for c in key)
            ):
                properties[key[:256]] = text
        return self.put_version(
            resource, properties, pipeline, {"payload.json": body}, replace=True, creator="webhook"
        )

    def bump(
        self, resource: str, part: str | None = None, pipeline: str | None = None, by: str = "user"
    ) -> Row:
        """A ``trigger`` resource's counter + 1, or a ``version`` resource's semver bumped by ``part``."""
        with self._write(pipeline) as ctx:
            rrow = ctx.resource_rows.get(resource)
            if rrow is None or not rrow.get("active", 1):
                raise NotFound(f"no resource named {resource!r} in pipeline {ctx.graph.pipeline.name!r}")
            latest = ctx.tx.latest_version(rrow["id"])
            props: dict[str, str] = json.loads(latest["properties"]) if latest else {}
            if rrow["type"] == "trigger":
                count = int(props.get("count", "0")) if props.get("count", "0").isdigit() else 0
                new = {**props, "count": str(count + 1), "by": by}
            elif rrow["type"] == "version":
                new = {**props, "versionName": _bumped(props, part or "patch")}
            else:
                raise BadInput(
                    f"resource {resource!r} is a {rrow['type']} resource: only trigger and version bump"
                )
            made = self._new_version(ctx, resource, new, {}, "user", by)
            assert made is not None
            return made

    def _version_output(self, latest: Row | None, props: dict[str, str]) -> dict[str, str]:
        """A job's output to a ``version`` resource: ``bump=<part>`` bumps the latest versionName."""
        part = props.get("bump")
        if part is None:
            return props
        base: dict[str, Any] = json.loads(latest["properties"]) if latest else {}
        rest = {k: v for k, v in props.items() if k != "bump"}
        return {**rest, "versionName": _bumped({**base, **rest}, part)}


def _bumped(props: dict[str, str], part: str) -> str:
    try:
        return semver.bump(props.get("versionName") or "0.0.0", part)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
