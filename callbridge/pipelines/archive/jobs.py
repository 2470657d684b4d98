"""The periodic incremental archive job (``archive.incremental``).

Each run archives from the cursors (minus the look-back) to now, then enqueues the next run
``archive_interval_minutes`` later with a key naming that slot, so exactly one next run exists.
An expired authorization dead-letters the job with the reconnect instruction (the connection is
paused until an admin reconnects and replays it); a 429 or an outage retries later.
"""

from __future__ import annotations

from datetime import timedelta

from callbridge.jobs.queue import enqueue
from callbridge.jobs.registry import GiveUp, JobContext, RetryLater, TaskRegistry
from callbridge.pipelines.archive.progress import RunResult
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.service import prepare, with_session
from callbridge.platforms.ringcentral.errors import AuthExpired, RateLimited, Unavailable
from callbridge.platforms.ringcentral.factory import RingCentralSession

__all__ = ["INCREMENTAL", "register_archive_tasks", "schedule_next"]

INCREMENTAL = "archive.incremental"


def incremental(ctx: JobContext) -> None:
    runtime = ctx.runtime
    org_id = ctx.organization_id
    if org_id is None:
        raise GiveUp("an archive job needs an organization")
    connection = str(ctx.payload.get("connection", "default"))
    store = prepare(runtime)

    async def work(rc: RingCentralSession) -> RunResult:
        return await Archiver(runtime, org_id, rc, store).run()

    try:
        result = with_session(runtime, org_id, work, connection=connection)
    except AuthExpired as exc:
        raise GiveUp(f"{exc.message} Fix: {exc.hint}") from None
    except RateLimited as exc:
        raise RetryLater(exc.message, after=timedelta(seconds=exc.retry_after)) from None
    except Unavailable as exc:
        raise RetryLater(exc.message, after=timedelta(minutes=5)) from None
    schedule_next(ctx, connection)
    if result.errors:
        raise RetryLater(
            f"{len(result.errors)} objects failed; first: {result.errors[0]}", after=timedelta(minutes=15)
        )


def schedule_next(ctx: JobContext, connection: str) -> None:
    runtime = ctx.runtime
    interval = timedelta(minutes=runtime.settings.archive_interval_minutes)
    run_at = runtime.clock.now() + interval
    slot = int(run_at.timestamp() // interval.total_seconds())
    with ctx.session() as session:
        enqueue(
            session,
            runtime.clock,
            INCREMENTAL,
            {"connection": connection},
            key=f"{INCREMENTAL}:{connection}:{slot}",
            max_attempts=runtime.settings.job_max_attempts,
            run_at=run_at,
        )


def register_archive_tasks(registry: TaskRegistry) -> None:
    if INCREMENTAL not in registry:
        registry.task(INCREMENTAL, max_attempts=5)(incremental)
