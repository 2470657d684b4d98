"""The scheduled purge: whatever is past its retention goes, across every organization.

The retention of each type of data (and the setting that changes it) is
:func:`callbridge.privacy.inventory.retention_policy`; ``docs/privacy.md`` prints it. The purge
runs hourly (``privacy.purge``, a system job) in short transactions of at most ``BATCH`` rows.

Objects a feature keeps outside the database (archived recordings) are removed through the
remover that feature registers with :func:`register_object_remover` — the file first, then its
row, so a crash in between leaves a row whose file is already gone, removed again next hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from callbridge.db.models import (
    AppliedEffect,
    ArchivedObject,
    AuditEntry,
    CommunicationRow,
    CrmActivity,
    DeadLetter,
    InboxEvent,
    Job,
    JobStatus,
    SupportSession,
)
from callbridge.jobs.registry import JobContext
from callbridge.privacy.audit import audit_maintenance

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["BATCH", "PURGE", "ObjectRemover", "purge_expired", "register_object_remover"]

log = logging.getLogger(__name__)
PURGE = "privacy.purge"
BATCH = 500

# Removes stored objects of one organization by their paths (and any partial copies); returns
# how many files it removed. Registered by the feature that owns the storage (the archive).
ObjectRemover = Callable[["Runtime", str, Sequence[str]], int]
_REMOVERS: dict[str, ObjectRemover] = {}


def register_object_remover(table: str, remover: ObjectRemover) -> None:
    """Declare how the stored objects listed in ``table`` are removed (one remover per table)."""
    _REMOVERS[table] = remover


def _count(result: Any) -> int:
    return int(result.rowcount or 0)


def _no_sync(statement: Any) -> Any:
    return statement.execution_options(synchronize_session=False)


def purge_expired(ctx: JobContext) -> None:
    settings, now = ctx.runtime.settings, ctx.runtime.clock.now()
    jobs_before = now - timedelta(days=settings.retention_finished_jobs_days)
    dead_before = now - timedelta(days=settings.retention_dead_jobs_days)
    inbox_before = now - timedelta(days=settings.retention_inbox_days)
    counts: dict[str, int] = {}
    with ctx.system_session("purge data past its retention") as session:
        counts["support_sessions"] = _count(
            session.execute(_no_sync(delete(SupportSession).where(SupportSession.expires_at <= now)))
        )
        counts["applied_effects"] = _count(
            session.execute(_no_sync(delete(AppliedEffect).where(AppliedEffect.applied_at <= jobs_before)))
        )
        counts["jobs"] = _count(
            session.execute(
                _no_sync(delete(Job).where(Job.status == JobStatus.done, Job.finished_at <= jobs_before))
            )
        )
        counts.update(_purge_dead(session, dead_before))
        counts["inbox_events"] = _purge_inbox(session, inbox_before, dead_before)
    counts.update(_purge_communications(ctx, now - timedelta(days=settings.retention_communications_days)))
    if settings.retention_archive_days is not None:
        before = now - timedelta(days=settings.retention_archive_days)
        counts.update(_purge_archive_objects(ctx, before))
    with (
        audit_maintenance("retention purge"),
        ctx.system_session("purge audit entries past their retention") as session,
    ):
        counts["audit_log"] = _count(
            session.execute(
                _no_sync(
                    delete(AuditEntry).where(
                        AuditEntry.at <= now - timedelta(days=settings.retention_audit_days)
                    )
                )
            )
        )
    removed = {name: n for name, n in counts.items() if n}
    if removed:
        log.info("purged past retention: %s", removed)


def _purge_dead(session: Session, before: datetime) -> dict[str, int]:
    """Dead jobs nobody replayed, with their dead letters (a replayed job goes once it is done)."""
    dead = select(Job.id).where(Job.status == JobStatus.dead, Job.updated_at <= before)
    letters = session.execute(_no_sync(delete(DeadLetter).where(DeadLetter.job_id.in_(dead))))
    jobs = session.execute(
        _no_sync(delete(Job).where(Job.status == JobStatus.dead, Job.updated_at <= before))
    )
    return {"dead_letters": _count(letters), "dead_jobs": _count(jobs)}


def _purge_inbox(session: Session, processed_before: datetime, stuck_before: datetime) -> int:
    """Normalised events (bodies already dropped) after a few days; raw bodies never normalised
    (their job died) after the dead-job retention (Decision 2: raw bodies are transient)."""
    done = session.execute(
        _no_sync(
            delete(InboxEvent).where(
                InboxEvent.status != "pending", InboxEvent.received_at <= processed_before
            )
        )
    )
    stuck = session.execute(
        _no_sync(
            delete(InboxEvent).where(InboxEvent.status == "pending", InboxEvent.received_at <= stuck_before)
        )
    )
    return _count(done) + _count(stuck)


def _purge_communications(ctx: JobContext, before: datetime) -> dict[str, int]:
    """A communication goes with its CRM activities once neither changed since ``before``."""
    removed = {"communications": 0, "crm_activities": 0}
    recent_activity = exists().where(
        CrmActivity.communication_id == CommunicationRow.id, CrmActivity.updated_at > before
    )
    while True:
        with ctx.system_session("purge communications past their retention") as session:
            ids = list(
                session.scalars(
                    select(CommunicationRow.id)
                    .where(CommunicationRow.updated_at <= before, ~recent_activity)
                    .limit(BATCH)
                )
            )
            if ids:
                removed["crm_activities"] += _count(
                    session.execute(
                        _no_sync(delete(CrmActivity).where(CrmActivity.communication_id.in_(ids)))
                    )
                )
                removed["communications"] += _count(
                    session.execute(_no_sync(delete(CommunicationRow).where(CommunicationRow.id.in_(ids))))
                )
        if len(ids) < BATCH:
            break
    with ctx.system_session("purge CRM activities without a communication") as session:
        orphan = or_(
            CrmActivity.communication_id.is_(None),
            ~exists().where(CommunicationRow.id == CrmActivity.communication_id),
        )
        removed["crm_activities"] += _count(
            session.execute(_no_sync(delete(CrmActivity).where(CrmActivity.updated_at <= before, orphan)))
        )
    return removed


def _purge_archive_objects(ctx: JobContext, before: datetime) -> dict[str, int]:
    """Archived objects whose day is before ``before``: stored file first, then the row.

    Objects still ``pending`` are left alone (an archive run may be copying them right now);
    once stored or given up, the next purge takes them.
    """
    remover = _REMOVERS.get(ArchivedObject.__tablename__)
    day = before.date().isoformat()
    expired = (ArchivedObject.day < day, ArchivedObject.status != "pending")
    with ctx.system_session("find archive objects past their retention") as session:
        organizations = list(
            session.scalars(select(ArchivedObject.organization_id).where(*expired).distinct())
        )
    removed = {"archived_objects": 0, "storage_objects": 0}
    for organization_id in organizations:
        while True:
            with ctx.system_session("list archive objects past their retention") as session:
                rows = session.execute(
                    select(ArchivedObject.id, ArchivedObject.path)
                    .where(ArchivedObject.organization_id == organization_id, *expired)
                    .order_by(ArchivedObject.day, ArchivedObject.id)
                    .limit(BATCH)
                ).all()
            paths = [path for _, path in rows if path]
            if paths:
                if remover is None:
                    log.error("no remover registered for archived objects; their rows are kept")
                    return removed
                removed["storage_objects"] += remover(ctx.runtime, organization_id, paths)
            with ctx.system_session("purge archive objects past their retention") as session:
                removed["archived_objects"] += _count(
                    session.execute(
                        _no_sync(delete(ArchivedObject).where(ArchivedObject.id.in_([i for i, _ in rows])))
                    )
                )
            if len(rows) < BATCH:
                break
    return removed
