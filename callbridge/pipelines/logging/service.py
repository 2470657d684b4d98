"""What people do with logging (the API and CLI call these): pick a contact, relog, add notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callbridge.db.models import ActivityStatus, CrmActivity, CrmConnection, DeadLetter, Job, JobStatus
from callbridge.errors import Conflict, InvalidInput, NotFound
from callbridge.jobs.queue import enqueue
from callbridge.pipelines.logging.connections import SYNC
from callbridge.pipelines.logging.users import unmapped_users
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["ConnectionHealth", "connection_health", "edit_activity", "get_activity", "relog", "resolve"]


def get_activity(session: Session, activity_id: str) -> CrmActivity:
    row = session.get(CrmActivity, activity_id)
    if row is None:
        raise NotFound(f"No logged activity {activity_id!r} in your organization.", field="activity_id",
                       hint="list them with GET /api/v1/logging/communications")
    return row


def _queue(runtime: Runtime, session: Session, row: CrmActivity, why: str) -> None:
    if not row.communication_id:
        raise Conflict("This activity has no stored communication to log from.", field="activity_id")
    stamp = int(runtime.clock.now().timestamp() * 1000)
    enqueue(session, runtime.clock, SYNC, {"communication_id": row.communication_id},
            key=f"{SYNC}:{row.communication_id}:{why}:{row.id}:{stamp}",
            max_attempts=runtime.settings.job_max_attempts)


def resolve(runtime: Runtime, organization_id: str, activity_id: str, contact_id: str, *,
            actor: str) -> CrmActivity:
    """Log an ambiguous communication on the contact the user picked among the candidates."""
    with runtime.db.tenant(organization_id) as session:
        row = get_activity(session, activity_id)
        if row.crm_activity_id is not None:
            raise Conflict("This communication is already logged; its contact cannot change here.",
                           field="activity_id", hint="change the association in the CRM")
        chosen = next((c for c in row.candidates or [] if str(c.get("id")) == contact_id), None)
        if chosen is None:
            known = ", ".join(str(c.get("id")) for c in row.candidates or []) or "none"
            raise InvalidInput(f"{contact_id!r} is not one of the matching contacts ({known}).",
                               field="contact_id", hint="pick one of the candidates listed")
        row.contact_id = contact_id
        row.contact_type = str(chosen.get("type") or "")
        row.status = ActivityStatus.reserved
        row.candidates = []
        row.updated_at = runtime.clock.now()
        _queue(runtime, session, row, "resolve")
        record_audit(session, runtime.clock, actor=actor, action="logging.match_resolved",
                     object_type="crm_activity", object_id=row.id)
    runtime.broker.wake()
    return row


def relog(runtime: Runtime, organization_id: str, activity_id: str, *, actor: str) -> CrmActivity:
    """Log (or write again) a communication by hand: a failed or skipped one gets another try."""
    with runtime.db.tenant(organization_id) as session:
        row = get_activity(session, activity_id)
        if row.status in (ActivityStatus.failed, ActivityStatus.skipped):
            row.status = ActivityStatus.created if row.crm_activity_id else ActivityStatus.reserved
        row.desired_hash = None  # write it even if nothing changed on our side
        row.last_error = None
        row.updated_at = runtime.clock.now()
        _queue(runtime, session, row, "relog")
        record_audit(session, runtime.clock, actor=actor, action="logging.relogged",
                     object_type="crm_activity", object_id=row.id)
    runtime.broker.wake()
    return row


def edit_activity(runtime: Runtime, organization_id: str, activity_id: str, *, notes: str | None,
                  disposition: str | None, actor: str) -> CrmActivity:
    """A user's notes/disposition, written to the CRM through the 3-way merge."""
    with runtime.db.tenant(organization_id) as session:
        row = get_activity(session, activity_id)
        if notes is not None:
            row.notes = notes or None
        if disposition is not None:
            row.disposition = disposition or None
        row.updated_at = runtime.clock.now()
        _queue(runtime, session, row, "edit")
        record_audit(session, runtime.clock, actor=actor, action="logging.activity_edited",
                     object_type="crm_activity", object_id=row.id,
                     changed=[n for n, v in (("notes", notes), ("disposition", disposition))
                              if v is not None])
    runtime.broker.wake()
    return row


@dataclass(frozen=True)
class ConnectionHealth:
    id: str
    name: str
    connector: str
    status: str
    paused_reason: str | None
    backlog: int
    ambiguous: int
    failed: int
    dead_jobs: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    mapped_users: int = 0  # org-wide: directory users logged as their CRM user (matched by email)
    unmapped_users: int = 0  # org-wide: active directory users logged without a CRM owner
    users_mapped_at: datetime | None = None


def connection_health(session: Session) -> list[ConnectionHealth]:
    """Per connection: backlog (not yet logged), waiting on a person, failures, last success/error,
    and (org-wide connections) how many users are logged as their CRM user and how many are not."""
    counts: dict[tuple[str, str], int] = {}
    for connection_id, status, n in session.execute(
            select(CrmActivity.connection_id, CrmActivity.status, func.count())
            .group_by(CrmActivity.connection_id, CrmActivity.status)):
        counts[(connection_id, str(status.value if hasattr(status, "value") else status))] = int(n)
    dead = int(session.scalar(select(func.count()).select_from(DeadLetter).where(
        DeadLetter.kind == SYNC, DeadLetter.replayed_at.is_(None))) or 0)
    pending_jobs = int(session.scalar(select(func.count()).select_from(Job).where(
        Job.kind == SYNC, Job.status.in_([JobStatus.pending, JobStatus.running]))) or 0)
    out = []
    for c in session.scalars(select(CrmConnection).order_by(CrmConnection.name)):
        backlog = sum(counts.get((c.id, s), 0) for s in ("reserved", "creating", "waiting"))
        out.append(ConnectionHealth(
            c.id, c.name, c.connector, c.status.value, c.paused_reason, backlog + pending_jobs,
            counts.get((c.id, "ambiguous"), 0), counts.get((c.id, "failed"), 0), dead, c.last_success_at,
            c.last_error, c.last_error_at, len(c.user_map or {}) if c.owner_ref is None else 0,
            unmapped_users(session, c), c.users_mapped_at))
    return out


