"""The scheduled purge: whatever is past its retention goes, across every organization."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from callbridge.db.models import AppliedEffect, AuditEntry, Job, JobStatus, SupportSession
from callbridge.jobs.registry import JobContext

__all__ = ["PURGE", "purge_expired"]

log = logging.getLogger(__name__)
PURGE = "privacy.purge"


def purge_expired(ctx: JobContext) -> None:
    settings, now = ctx.runtime.settings, ctx.runtime.clock.now()
    jobs_before = now - timedelta(days=settings.retention_finished_jobs_days)
    with ctx.system_session("purge data past its retention") as session:
        removed = {
            "support_sessions": session.execute(
                delete(SupportSession).where(SupportSession.expires_at <= now)
            ),
            "applied_effects": session.execute(
                delete(AppliedEffect).where(AppliedEffect.applied_at <= jobs_before)
            ),
            "jobs": session.execute(
                delete(Job).where(Job.status == JobStatus.done, Job.finished_at <= jobs_before)
            ),
            "audit_log": session.execute(
                delete(AuditEntry).where(AuditEntry.at <= now - timedelta(days=settings.retention_audit_days))
            ),
        }
        counts = {name: result.rowcount for name, result in removed.items()}  # type: ignore[attr-defined]
    if any(counts.values()):
        log.info("purged past retention: %s", counts)
