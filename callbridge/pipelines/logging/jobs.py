"""The ``logging.sync`` job: ingest submits it with ``{"communication_id": …}`` after every change.

Outcomes become the runner's signals: a rate limit or a busy/reconciling activity →
``RetryLater`` (not before the CRM's Retry-After or the lease/consistency window); bad data or a
missing permission → ``GiveUp`` (dead letter with the CRM's actionable message; an admin fixes it
and relogs); an outage or anything else → retry with backoff, then the dead letter. An expired
token pauses the connection (audited, shown by the health API): the job ends, the communication
waits in its activity row and is queued again on reconnect.
"""

from __future__ import annotations

import asyncio
import os
import threading
from datetime import timedelta

from callbridge.jobs.registry import GiveUp, JobContext, RetryLater, TaskRegistry
from callbridge.pipelines.logging.connections import SYNC
from callbridge.pipelines.logging.sync import SyncResult, sync_communication
from callbridge.pipelines.logging.users import USERS, users_job

__all__ = ["SYNC", "USERS", "LoggingFailed", "register_logging_tasks", "sync_job"]

MAX_ATTEMPTS = 16  # with backoff capped at an hour this outlasts a long CRM outage


class LoggingFailed(Exception):
    """A CRM write failed in a way that may pass on retry; the message says what happened."""


def _summary(results: list[SyncResult]) -> str:
    return "; ".join(f"connection {r.connection_id}: {r.error}" for r in results if r.error)


def sync_job(ctx: JobContext) -> None:
    if ctx.organization_id is None:
        raise GiveUp("a logging job needs an organization")
    communication_id = ctx.payload.get("communication_id")
    if not isinstance(communication_id, str) or not communication_id:
        raise GiveUp("the logging job carries no communication_id; it was submitted wrongly")
    worker = f"{os.getpid()}:{threading.get_ident()}:{ctx.job_id}"
    results = asyncio.run(sync_communication(ctx.runtime, ctx.organization_id, communication_id,
                                             worker=worker))
    waits = [r.retry_after for r in results if r.retry_after is not None and not r.permanent]
    if waits:
        raise RetryLater(_summary(results) or "waiting for another worker or the CRM's search",
                         after=max(waits, default=timedelta(0)))
    permanent = [r for r in results if r.permanent]
    if permanent:
        raise GiveUp(_summary(permanent) + " — fix it in the CRM or the connection, then relog the "
                     "communication (POST /api/v1/logging/communications/{id}/relog)")


def register_logging_tasks(registry: TaskRegistry) -> None:
    if SYNC not in registry:
        registry.task(SYNC, max_attempts=MAX_ATTEMPTS)(sync_job)
    if USERS not in registry:
        registry.task(USERS, max_attempts=8)(users_job)
