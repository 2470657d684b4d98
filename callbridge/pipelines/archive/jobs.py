"""The periodic incremental archive (``archive.incremental``) and its schedule (``archive.schedule``).

Periods are fixed slots of ``archive_interval_minutes`` on the Clock (``period_start``). The job
of a connection for a period has the idempotency key ``archive.incremental:<connection>@<period>``,
so however many workers tick and whichever path offers it, one run exists per connection per
period:

- ``archive.schedule`` (a system job offered once per period by every worker's tick, see
  :func:`archive_schedules`) submits this period's run for every RingCentral connection of every
  organization — a connection added since, or a chain broken by a dead-lettered run, is picked
  up on the next period;
- each run also enqueues its connection's next period (the chain), so a worker without the
  schedule still archives every period.

Connections known to sign in to the same RingCentral account (see ``archive.accounts``) form a
pool: one run per account per period, keyed by the pool's primary (the first name in sorted
order), sends through all of them. The run offered for another member of the pool does nothing
and ends that member's chain; the primary's run covers it.

Both are rows in the database; the broker only rings the bell, so losing its contents loses
nothing. An expired authorization dead-letters the run with the reconnect instruction; a 429 or
an outage retries later. After each run, messages are deleted after archive when that is on, and
the retention watch logs its warnings.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.config import Settings
from callbridge.db.models import SealedSecret
from callbridge.errors import InvalidInput
from callbridge.jobs.queue import enqueue
from callbridge.jobs.registry import GiveUp, JobContext, RetryLater, TaskRegistry
from callbridge.jobs.schedule import Schedule, period_start
from callbridge.pipelines.archive.accounts import pool_of, pools, primary_of
from callbridge.pipelines.archive.progress import RunResult
from callbridge.pipelines.archive.prune import DeleteReport, delete_archived
from callbridge.pipelines.archive.retention import RINGCENTRAL_PURPOSE, warn_retention
from callbridge.pipelines.archive.run import Archiver
from callbridge.pipelines.archive.service import prepare, with_session
from callbridge.platforms.ringcentral.errors import AuthExpired, RateLimited, Unavailable
from callbridge.platforms.ringcentral.factory import RingCentralSession

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "INCREMENTAL",
    "SCHEDULE",
    "archive_schedules",
    "incremental_key",
    "register_archive_tasks",
    "schedule_connections",
    "schedule_next",
]

log = logging.getLogger(__name__)

INCREMENTAL = "archive.incremental"
SCHEDULE = "archive.schedule"


def interval_of(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.archive_interval_minutes)


def incremental_key(connection: str, period: datetime) -> str:
    return f"{INCREMENTAL}:{connection}@{period.isoformat()}"


def incremental(ctx: JobContext) -> None:
    runtime = ctx.runtime
    org_id = ctx.organization_id
    if org_id is None:
        raise GiveUp("an archive job needs an organization")
    connection = str(ctx.payload.get("connection", "default"))
    with ctx.session() as session:
        primary = primary_of(session, runtime.vault, connection)
        members = pool_of(session, runtime.vault, connection)
    if primary != connection:
        log.info("archive: connection %r is archived by the run of %r (same account)", connection, primary)
        return
    store = prepare(runtime)
    delete = runtime.settings.archive_delete_after_archive

    async def work(rc: RingCentralSession) -> tuple[RunResult, DeleteReport | None]:
        result = await Archiver(runtime, org_id, rc, store).run()
        pruned = await delete_archived(runtime, org_id, rc, store, dry_run=False) if delete else None
        return result, pruned

    try:
        result, pruned = with_session(runtime, org_id, work, connection=connection, pool=members[1:])
    except AuthExpired as exc:
        raise GiveUp(f"{exc.message} Fix: {exc.hint}") from None
    except InvalidInput as exc:  # e.g. a pool of two accounts: the next period regroups it
        raise RetryLater(f"{exc.message} Fix: {exc.hint}", after=interval_of(runtime.settings)) from None
    except RateLimited as exc:
        raise RetryLater(exc.message, after=timedelta(seconds=exc.retry_after)) from None
    except Unavailable as exc:
        raise RetryLater(exc.message, after=timedelta(minutes=5)) from None
    schedule_next(ctx, connection)
    for warning in result.warnings:
        log.warning("archive (organization %s): %s", org_id, warning)
    if pruned is not None and pruned.deleted:
        log.info("archive: deleted %d archived messages from the message store", len(pruned.deleted))
    warn_retention(runtime, org_id)
    if result.errors:
        raise RetryLater(
            f"{len(result.errors)} objects failed; first: {result.errors[0]}", after=timedelta(minutes=15)
        )


def schedule_next(ctx: JobContext, connection: str) -> None:
    """Enqueue the connection's run of the next period (a no-op when it exists)."""
    runtime = ctx.runtime
    interval = interval_of(runtime.settings)
    run_at = period_start(runtime.clock.now(), interval) + interval
    with ctx.session() as session:
        enqueue(
            session,
            runtime.clock,
            INCREMENTAL,
            {"connection": connection},
            key=incremental_key(connection, run_at),
            max_attempts=runtime.settings.job_max_attempts,
            run_at=run_at,
        )


def schedule_connections(ctx: JobContext) -> None:
    """``archive.schedule``: this period's incremental run for every RingCentral account (its
    pool's primary connection; a connection whose account is not known yet on its own)."""
    runtime = ctx.runtime
    now = runtime.clock.now()
    period = period_start(now, interval_of(runtime.settings))
    with ctx.system_session("archive: list RingCentral connections to schedule") as session:
        organizations = sorted(
            set(
                session.scalars(
                    select(SealedSecret.organization_id).where(
                        SealedSecret.purpose == RINGCENTRAL_PURPOSE, SealedSecret.name.like("%:app")
                    )
                )
            )
        )
    primaries: list[tuple[str, str]] = []
    for organization_id in organizations:
        with runtime.db.tenant(organization_id) as session:
            primaries += [(organization_id, group[0]) for group in pools(session, runtime.vault)]
    for organization_id, connection in primaries:
        runtime.submit(
            organization_id,
            INCREMENTAL,
            {"connection": connection},
            key=incremental_key(connection, period),
        )


def archive_schedules(settings: Settings) -> list[Schedule]:
    """The schedule a runtime offers on every worker tick (``runtime.schedules``)."""
    return [Schedule(SCHEDULE, interval_of(settings))]


def register_archive_tasks(registry: TaskRegistry) -> None:
    if INCREMENTAL not in registry:
        registry.task(INCREMENTAL, max_attempts=5)(incremental)
    if SCHEDULE not in registry:
        registry.task(SCHEDULE, max_attempts=5)(schedule_connections)


def install_archive(runtime: Runtime) -> None:
    """Register the tasks and the schedule on a runtime (idempotent)."""
    register_archive_tasks(runtime.registry)
    if not any(s.kind == SCHEDULE for s in runtime.schedules):
        runtime.schedules.extend(archive_schedules(runtime.settings))
