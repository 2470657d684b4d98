"""Task kinds every installation has."""

from __future__ import annotations

import threading

from callbridge.jobs.registry import JobContext, TaskRegistry
from callbridge.privacy.audit import record_audit

__all__ = ["SELFTEST", "register_builtin_tasks"]

SELFTEST = "system.selftest"


def selftest(ctx: JobContext) -> None:
    """Record one audit entry, exactly once; proves the worker, database and broker work together.

    ``hold_seconds_before``/``hold_seconds_after`` pause the first attempt around the effect's
    commit, so that a test (or an operator) can kill the worker mid-job and watch it recover.
    """
    hold = threading.Event()
    first_attempt = ctx.attempt == 1
    if first_attempt:
        hold.wait(float(ctx.payload.get("hold_seconds_before", 0)))
    with ctx.session() as session:
        if ctx.first_time(session, "audit"):
            record_audit(
                session,
                ctx.runtime.clock,
                actor=f"job:{ctx.job_id}",
                action="selftest.completed",
                object_type="job",
                object_id=ctx.job_id,
                attempt=ctx.attempt,
            )
    if first_attempt:
        hold.wait(float(ctx.payload.get("hold_seconds_after", 0)))


def register_builtin_tasks(registry: TaskRegistry) -> None:
    registry.task(SELFTEST, max_attempts=3)(selftest)
