"""Putting work in: one row per piece of work, deduplicated by its idempotency key."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import Job, JobStatus
from callbridge.db.session import scope_of
from callbridge.errors import InvalidInput

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["MAX_PAYLOAD_BYTES", "enqueue", "submit"]

# Jobs carry ids, not content (no transcripts, no message bodies): a small payload keeps it so.
MAX_PAYLOAD_BYTES = 4096


def enqueue(
    session: Session,
    clock: Clock,
    kind: str,
    payload: dict[str, Any],
    *,
    key: str,
    max_attempts: int,
    run_at: datetime | None = None,
    new_key: bool = False,
) -> tuple[Job, bool]:
    """Add the job unless one with the same key exists; returns ``(job, created)``.

    ``new_key``: the caller made the key from a row created in this transaction, so no job can
    hold it yet and the lookup is skipped (the unique index still guards it).
    """
    organization_id = scope_of(session).organization_id
    scoped_key = f"{organization_id or 'system'}/{key}"
    encoded = json.dumps(payload, sort_keys=True)
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidInput(
            f"The payload of a {kind} job is {len(encoded)} bytes; the limit is {MAX_PAYLOAD_BYTES}.",
            field="payload",
            hint="pass ids of stored rows, not their content",
        )
    if not new_key:
        existing = session.scalars(select(Job).where(Job.idempotency_key == scoped_key)).one_or_none()
        if existing is not None:
            return existing, False
    now = clock.now()
    job = Job(
        organization_id=organization_id,
        kind=kind,
        idempotency_key=scoped_key,
        payload=payload,
        status=JobStatus.pending,
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=run_at or now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job, True


def submit(
    runtime: Runtime,
    organization_id: str | None,
    kind: str,
    payload: dict[str, Any],
    *,
    key: str,
    max_attempts: int | None = None,
    run_at: datetime | None = None,
) -> tuple[Job, bool]:
    """Enqueue in a transaction of its own, then wake a worker; returns ``(job, created)``."""
    if kind not in runtime.registry:  # an unknown kind fails here, not later in a worker
        raise InvalidInput(
            f"No job kind {kind!r}.", field="kind", hint=f"use one of: {', '.join(runtime.registry.kinds())}"
        )
    spec = runtime.registry.get(kind)
    attempts = max_attempts or spec.max_attempts or runtime.settings.job_max_attempts
    scope = runtime.db.tenant(organization_id) if organization_id else runtime.db.system(f"submit {kind}")
    with scope as session:
        job, created = enqueue(
            session, runtime.clock, kind, payload, key=key, max_attempts=attempts, run_at=run_at
        )
    if created:
        runtime.broker.wake(job.id)
    return job, created
