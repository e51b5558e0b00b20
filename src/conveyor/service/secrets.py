"""Integrations: named key-value secrets, encrypted at rest, injected into the steps of the jobs that name
them (``secrets: [name]``) as environment variables, and masked by the worker in everything it reports.

Values leave the service only inside a leased run's spec (to the worker that runs it): listings give names
and key names, never values."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from conveyor.errors import BadInput, ConveyorError, NotFound
from conveyor.model.pipeline import Job, Pipeline
from conveyor.model.work import RunSpec, StepSpec
from conveyor.service.base import Ctx
from conveyor.service.work import WorkerOps
from conveyor.store.base import Row

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,199}$")
_MAX_VALUE = 64 * 1024


def public_integration(row: Row) -> dict[str, Any]:
    """What anyone may see of an integration: its name, its key names and when it changed."""
    return {
        "name": row["name"],
        "keys": json.loads(row["keys"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


class SecretOps(WorkerOps):
    def set_secret(self, name: str, values: dict[str, str], replace_all: bool = False) -> dict[str, Any]:
        """Store (or update) an integration: the keys given are set, the others kept unless
        ``replace_all``. Keys become environment variable names, so they must be valid ones."""
        from conveyor.secretbox import decrypt, encrypt

        if not _NAME.match(name):
            raise BadInput(f"bad integration name {name!r}: use letters, digits, '_', '.' and '-'")
        if not values:
            raise BadInput("give at least one KEY=VALUE")
        for key, value in values.items():
            if not _KEY.match(key):
                raise BadInput(f"bad key {key!r}: keys become environment variables (letters, digits, '_')")
            if len(value) > _MAX_VALUE:
                raise BadInput(f"the value of {key!r} is over the {_MAX_VALUE}-byte limit")
        key = self.settings.secret_key
        with self._transaction() as tx:
            row = tx.integration(name)
            merged = dict(values)
            if row is not None and not replace_all:
                merged = {**decrypt(row["payload"], key, name), **values}
            tx.integration_put(name, encrypt(merged, key), list(merged), self._now())
            tx.add_event("integration.set", self._now(), keys=sorted(values), name=name)
            after = tx.integration(name)
        assert after is not None
        return public_integration(after)

    def secrets(self) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            return [public_integration(r) for r in tx.integrations()]

    def delete_secret(self, name: str) -> None:
        with self._transaction() as tx:
            if not tx.integration_delete(name):
                raise NotFound(f"no integration named {name!r}")
            tx.add_event("integration.deleted", self._now(), name=name)

    def secret_values(self, name: str) -> dict[str, str]:
        """An integration's values in the clear (for this process's own use: never return them to a
        caller)."""
        from conveyor.secretbox import decrypt

        with self.store.read() as tx:
            row = tx.integration(name)
        if row is None:
            raise NotFound(f"no integration named {name!r}")
        return decrypt(row["payload"], self.settings.secret_key, name)

    # -- leasing: the job's integrations into its spec -----------------------------------------------
    def _spec(
        self, ctx: Ctx, pipeline: Pipeline, job: Job, run: Row, inputs: list[Row] | None = None
    ) -> RunSpec:
        spec = super()._spec(ctx, pipeline, job, run, inputs)
        if not job.secrets:
            return spec
        from conveyor.secretbox import decrypt

        env: dict[str, str] = {}
        try:
            for name in job.secrets:
                row = ctx.tx.integration(name)
                if row is None:
                    raise NotFound(
                        f"job {job.name!r} uses integration {name!r}, which does not exist: "
                        f"`conveyor secret set {name} KEY=VALUE...` makes it"
                    )
                env.update(decrypt(row["payload"], self.settings.secret_key, name))
        except ConveyorError as exc:
            # the run fails saying why, instead of the lease failing for every run in it
            failing = StepSpec(label="secrets", run=f"echo {_quote('conveyor: ' + exc.message)} >&2; exit 1")
            return replace(spec, steps=[failing], on_success=[], on_failure=[], always=[])
        return replace(spec, env={**spec.env, **env}, secret_env=sorted(env))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"
