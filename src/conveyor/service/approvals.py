"""Approval gates: who may approve (an approver list, a least role) and gates that time out.

``approval: manual`` parks each run in ``waiting_approval``; ``approve`` here checks the caller against the
job's gate before the pipeline core lets the run go, and the scheduler's tick rejects runs whose gate's
``timeout`` passed. Who, when and the comment are the run's ``run.approved`` / ``run.rejected`` events."""

from __future__ import annotations

from conveyor.errors import Conflict, Forbidden, NotFound
from conveyor.model.pipeline import Approval
from conveyor.model.runs import RunStatus
from conveyor.service.work import WorkerOps
from conveyor.store.base import Row, Tx

#: a role includes the ones before it; any other role (``worker``) may not approve
_RANK = {"viewer": 0, "operator": 1, "admin": 2}


class ApprovalOps(WorkerOps):
    def approve(
        self, run_id: int, by: str = "user", comment: str = "", approve: bool = True, role: str | None = None
    ) -> Row:
        """Approve (or reject) a waiting run. ``role`` is the caller's (API tokens); None means the owner of
        the embedded store, whose role is not asked but whose name must be on the approver list if the gate
        has one."""
        with self.store.read() as tx:
            run = tx.run(run_id)
            if run is None:
                raise NotFound(f"no run {run_id}")
            if run["status"] == RunStatus.WAITING_APPROVAL:
                gate = self._gate(tx, run)
                if gate is not None:
                    _check(gate, run_id, by, role, "approve" if approve else "reject")
        return super().approve(run_id, by, comment, approve)

    def _gate(self, tx: Tx, run: Row) -> Approval | None:
        version = run["pipeline_version"]
        if not run["inputs_pinned"]:  # it will start with the pipeline's current version
            prow = tx.pipeline_by_id(run["pipeline_id"])
            version = prow["current_version"] if prow else version
        job = self._graph(tx, run["pipeline_id"], version).pipeline.job(run["job_name"])
        return job.approval if job is not None else None

    def tick(self) -> list[int]:
        lost = super().tick()
        self.expire_approvals()
        return lost

    def expire_approvals(self) -> list[int]:
        """Reject runs that waited at a gate longer than its ``timeout``; returns their ids."""
        now = self._now()
        expired = []
        with self.store.read_statement() as tx:  # most ticks: no run waits, and one statement says so
            waiting = tx.approvals_waiting()
        if not waiting:
            return []
        with self.store.read() as tx:
            for row in waiting:
                run = tx.run(row["id"])
                gate = self._gate(tx, run) if run is not None else None
                if gate is not None and gate.timeout is not None and row["since"] + gate.timeout <= now:
                    expired.append((row["id"], gate.timeout))
        done = []
        for run_id, timeout in expired:
            try:
                super().approve(
                    run_id, by="conveyor", comment=f"nobody decided within {timeout:g}s", approve=False
                )
                done.append(run_id)
            except Conflict:  # decided (or moved on) meanwhile
                pass
        return done


def _check(gate: Approval, run_id: int, by: str, role: str | None, verb: str) -> None:
    if role is not None and _RANK.get(role, -1) < _RANK[gate.role]:
        raise Forbidden(f"a {role} may not {verb} run {run_id}: its gate needs the {gate.role} role")
    if gate.approvers and by not in gate.approvers:
        raise Forbidden(
            f"{by!r} may not {verb} run {run_id}: its gate allows only {', '.join(gate.approvers)}"
        )
