"""Cross-tenant views of the job tables for operators (the CLI); they use the system scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.db.models import DeadLetter, Job, JobStatus

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["dead_letters", "job_organization", "recent_jobs"]


def dead_letters(runtime: Runtime, limit: int) -> list[DeadLetter]:
    with runtime.db.system("operator: list dead letters") as session:
        query = (
            select(DeadLetter)
            .where(DeadLetter.replayed_at.is_(None))
            .order_by(DeadLetter.died_at.desc())
            .limit(limit)
        )
        return list(session.scalars(query))


def recent_jobs(runtime: Runtime, status: JobStatus | None, limit: int) -> list[Job]:
    with runtime.db.system("operator: list jobs") as session:
        query = select(Job).order_by(Job.created_at.desc()).limit(limit)
        if status:
            query = query.where(Job.status == status)
        return list(session.scalars(query))


def job_organization(runtime: Runtime, job_id: str) -> str | None:
    with runtime.db.system("operator: find a job's organization") as session:
        return session.scalars(select(Job.organization_id).where(Job.id == job_id)).first()
