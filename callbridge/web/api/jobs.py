"""Background jobs of the caller's organization: watch them, replay the dead ones."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import Job, JobStatus, Role
from callbridge.errors import NotFound
from callbridge.jobs.builtin import SELFTEST
from callbridge.jobs.runner import replay_dead
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.api.schemas import JobOut
from callbridge.web.deps import get_runtime, require, tenant_session

router = APIRouter(prefix="/jobs", tags=["jobs"])
READERS = (Role.owner, Role.admin, Role.auditor)
MANAGERS = (Role.owner, Role.admin)


def _out(job: Job) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)


@router.get("", response_model=list[JobOut])
def list_jobs(
    status: JobStatus | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require(*READERS)),
    session: Session = Depends(tenant_session),
) -> list[JobOut]:
    query = select(Job).order_by(Job.created_at.desc(), Job.id).limit(limit)
    if status is not None:
        query = query.where(Job.status == status)
    return [_out(j) for j in session.scalars(query)]


@router.post("/selftest", response_model=JobOut, status_code=202)
def selftest(who: Principal = Depends(require(*MANAGERS)), runtime: Runtime = Depends(get_runtime)) -> JobOut:
    """Queue a job that records one audit entry: proves the worker is running."""
    job, _ = runtime.submit(who.organization_id, SELFTEST, {}, key=f"selftest:{uuid.uuid4().hex}")
    return _out(job)


@router.get("/{job_id}", response_model=JobOut)
def get_job(
    job_id: str, _: Principal = Depends(require(*READERS)), session: Session = Depends(tenant_session)
) -> JobOut:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id!r} in your organization.", field="job_id")
    return _out(job)


@router.post("/{job_id}/retry", response_model=JobOut)
def retry_job(
    job_id: str, who: Principal = Depends(require(*MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> JobOut:
    return _out(replay_dead(runtime, who.organization_id, job_id, actor=who.actor))
