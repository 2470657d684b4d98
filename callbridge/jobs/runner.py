"""Running work: ``run_due(now)`` claims due rows and runs them; the database decides what is due.

A claim is an UPDATE guarded by the row's status and due time, so two workers never run the same
attempt. A claim is a lease: a worker that dies leaves a ``running`` row whose lease expires on
the Clock, and the next ``run_due`` takes it over.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update

from callbridge.db.models import DeadLetter, Job, JobStatus
from callbridge.domain.retry import Backoff
from callbridge.errors import Conflict, NotFound
from callbridge.http.redaction import redact
from callbridge.jobs.registry import GiveUp, JobContext, RetryLater
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["RunReport", "replay_dead", "run_due", "run_one"]

log = logging.getLogger(__name__)
MAX_ERROR_CHARS = 1000


@dataclass
class RunReport:
    succeeded: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)

    @property
    def ran(self) -> int:
        return len(self.succeeded) + len(self.retried) + len(self.dead)


def _due(now: datetime) -> object:
    return or_(
        and_(Job.status == JobStatus.pending, Job.next_attempt_at <= now),
        and_(Job.status == JobStatus.running, Job.lease_until <= now),
    )


def run_due(
    runtime: Runtime,
    *,
    worker_id: str,
    now: datetime | None = None,
    limit: int = 100,
    report: RunReport | None = None,
) -> RunReport:
    """Run every job due at ``now`` (default: the runtime's clock), oldest first."""
    now = now or runtime.clock.now()
    with runtime.db.system("jobs.find-due") as session:
        ids = list(
            session.scalars(
                select(Job.id).where(_due(now)).order_by(Job.next_attempt_at, Job.id).limit(limit)
            )
        )
    report = report if report is not None else RunReport()
    for job_id in ids:
        run_one(runtime, job_id, worker_id=worker_id, now=now, report=report)
    return report


def run_one(
    runtime: Runtime,
    job_id: str,
    *,
    worker_id: str,
    now: datetime | None = None,
    report: RunReport | None = None,
) -> RunReport:
    """Claim ``job_id`` if it is due and run it; a job not due (or taken) is left alone."""
    report = report if report is not None else RunReport()
    now = now or runtime.clock.now()
    lease = timedelta(seconds=runtime.settings.job_lease_seconds)
    with runtime.db.system("jobs.claim") as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, _due(now))
            .values(
                status=JobStatus.running,
                lease_owner=worker_id,
                lease_until=now + lease,
                attempts=Job.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return report
        job = session.get_one(Job, job_id)
        ctx = JobContext(runtime, job.id, job.kind, job.organization_id, job.attempts, dict(job.payload))
    try:
        runtime.registry.get(ctx.kind).fn(ctx)
    except GiveUp as exc:
        _fail(runtime, ctx, exc, retry_after=None, give_up=True, report=report)
    except RetryLater as exc:
        _fail(runtime, ctx, exc, retry_after=exc.after, give_up=False, report=report)
    except Exception as exc:
        _fail(runtime, ctx, exc, retry_after=None, give_up=False, report=report)
    else:
        finished = runtime.clock.now()
        with runtime.db.system("jobs.finish") as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.running)
                .values(
                    status=JobStatus.done,
                    finished_at=finished,
                    updated_at=finished,
                    lease_owner=None,
                    lease_until=None,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
        report.succeeded.append(job_id)
    return report


def _fail(
    runtime: Runtime,
    ctx: JobContext,
    exc: BaseException,
    *,
    retry_after: timedelta | None,
    give_up: bool,
    report: RunReport,
) -> None:
    error = redact(f"{type(exc).__name__}: {exc}")[:MAX_ERROR_CHARS]
    now = runtime.clock.now()
    with runtime.db.system("jobs.fail") as session:
        job = session.get_one(Job, ctx.job_id)
        spec_attempts = job.max_attempts
        job.last_error = error
        job.updated_at = now
        job.lease_owner = None
        job.lease_until = None
        if give_up or job.attempts >= spec_attempts:
            job.status = JobStatus.dead
            session.add(
                DeadLetter(
                    organization_id=job.organization_id,
                    job_id=job.id,
                    kind=job.kind,
                    attempts=job.attempts,
                    error=error,
                    died_at=now,
                )
            )
            report.dead.append(job.id)
            log.warning("job %s (%s) dead after %d attempts: %s", job.id, job.kind, job.attempts, error)
        else:
            delay = Backoff().at_least(job.attempts, retry_after or timedelta(0), random.Random())
            job.status = JobStatus.pending
            job.next_attempt_at = now + delay
            report.retried.append(job.id)
            log.info(
                "job %s (%s) attempt %d failed, retry in %ss: %s",
                job.id,
                job.kind,
                job.attempts,
                int(delay.total_seconds()),
                error,
            )


def replay_dead(runtime: Runtime, organization_id: str | None, job_id: str, *, actor: str) -> Job:
    """Put a dead job back in the queue with fresh attempts (``callbridge jobs retry``)."""
    now = runtime.clock.now()
    scope = runtime.db.tenant(organization_id) if organization_id else runtime.db.system("jobs.replay")
    with scope as session:
        job = session.get(Job, job_id)
        if job is None or (organization_id and job.organization_id != organization_id):
            raise NotFound(
                f"No job {job_id!r}.", field="job_id", hint="list them with 'callbridge jobs failed'"
            )
        if job.status != JobStatus.dead:
            raise Conflict(
                f"Job {job_id} is {job.status.value}, not dead; only dead jobs are replayed.",
                field="job_id",
            )
        job.status = JobStatus.pending
        job.attempts = 0
        job.next_attempt_at = now
        job.updated_at = now
        for letter in session.scalars(
            select(DeadLetter).where(DeadLetter.job_id == job.id, DeadLetter.replayed_at.is_(None))
        ):
            letter.replayed_at = now
        record_audit(
            session,
            runtime.clock,
            actor=actor,
            action="job.replayed",
            object_type="job",
            object_id=job.id,
            kind=job.kind,
        )
    runtime.broker.wake(job_id)
    return job
