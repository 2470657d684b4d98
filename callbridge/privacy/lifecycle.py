"""Account deletion: requested by an owner, cancellable for a grace period, then total.

After the deletion nothing of the organization remains but a :class:`DeletionReceipt` holding a
one-way reference to its id, the dates and how many rows and objects were removed (Decision 11).
Rows go through the database's ``ON DELETE CASCADE`` from ``organizations``; stored objects go
through the erasers that storage-owning features register on the runtime.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callbridge.db.base import Base, TenantOwned
from callbridge.db.models import DeletionReceipt, DeletionRequest, Membership, Organization, User
from callbridge.errors import Conflict, NotFound
from callbridge.jobs.registry import JobContext
from callbridge.privacy.audit import audit_maintenance, record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime
    from callbridge.tenancy import Principal

__all__ = [
    "DELETE_ORGANIZATION",
    "OrganizationEraser",
    "active_request",
    "cancel_deletion",
    "delete_organization",
    "organization_ref",
    "request_deletion",
]

log = logging.getLogger(__name__)
DELETE_ORGANIZATION = "privacy.delete-organization"

# Removes what an organization stored outside the database (archive objects…); returns a count.
OrganizationEraser = Callable[["Runtime", str], int]


def organization_ref(organization_id: str) -> str:
    """The receipt's reference: lets an operator confirm a deletion without keeping the id."""
    return hashlib.sha256(f"callbridge-deleted-org:{organization_id}".encode()).hexdigest()


def active_request(session: Session) -> DeletionRequest | None:
    return session.scalars(
        select(DeletionRequest)
        .where(DeletionRequest.cancelled_at.is_(None))
        .order_by(DeletionRequest.requested_at.desc())
    ).first()


def request_deletion(runtime: Runtime, who: Principal) -> DeletionRequest:
    """Schedule the deletion for the end of the grace period; cancellable until then."""
    now = runtime.clock.now()
    due = now + timedelta(days=runtime.settings.deletion_grace_days)
    with runtime.db.tenant(who.organization_id) as session:
        if active_request(session) is not None:
            raise Conflict(
                "Deletion of this organization is already scheduled.",
                hint="cancel it first to change it, or let it run",
            )
        request = DeletionRequest(requested_at=now, requested_by=who.membership_id, due_at=due)
        session.add(request)
        session.flush()
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="organization.deletion_requested",
            object_type="organization",
            object_id=who.organization_id,
            due_at=due.isoformat(),
        )
        request_id = request.id
    job, _ = runtime.submit(
        who.organization_id,
        DELETE_ORGANIZATION,
        {"request_id": request_id},
        key=f"delete:{request_id}",
        run_at=due,
    )
    with runtime.db.tenant(who.organization_id) as session:
        request = session.get_one(DeletionRequest, request_id)
        request.job_id = job.id
        return request


def cancel_deletion(runtime: Runtime, who: Principal) -> DeletionRequest:
    with runtime.db.tenant(who.organization_id) as session:
        request = active_request(session)
        if request is None:
            raise NotFound("No deletion is scheduled for this organization.")
        request.cancelled_at = runtime.clock.now()
        request.cancelled_by = who.membership_id
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="organization.deletion_cancelled",
            object_type="organization",
            object_id=who.organization_id,
        )
        return request


def _count_rows(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, TenantOwned):
            counts[mapper.local_table.name] = session.scalar(select(func.count()).select_from(cls)) or 0
    counts["organizations"] = 1
    return {name: n for name, n in sorted(counts.items()) if n}


def delete_organization(ctx: JobContext) -> None:
    """The job at the end of the grace period: a no-op if the request was cancelled."""
    runtime, organization_id = ctx.runtime, ctx.organization_id
    assert organization_id is not None
    now = runtime.clock.now()
    with ctx.session() as session:
        request = session.get(DeletionRequest, ctx.payload["request_id"])
        if request is None or request.cancelled_at is not None or request.due_at > now:
            log.info("deletion %s cancelled or not due; nothing deleted", ctx.payload["request_id"])
            return
        requested_at = request.requested_at
        user_ids = set(session.scalars(select(Membership.user_id)))
        removed = _count_rows(session)
    objects = sum(eraser(runtime, organization_id) for eraser in runtime.organization_erasers)
    # the organization's audit entries go with it (ON DELETE CASCADE): one of the two ways they may
    with audit_maintenance("organization deletion"), ctx.session() as session:
        session.delete(session.get_one(Organization, organization_id))
        session.add(
            DeletionReceipt(
                organization_ref=organization_ref(organization_id),
                requested_at=requested_at,
                executed_at=now,
                removed={**removed, "storage_objects": objects},
            )
        )
    with ctx.system_session("remove users left without an organization") as session:
        for user_id in user_ids:
            still_member = session.scalars(select(Membership.id).where(Membership.user_id == user_id)).first()
            if still_member is None:
                user = session.get(User, user_id)
                if user is not None:
                    session.delete(user)
    log.info("organization deleted; receipt %s", organization_ref(organization_id)[:12])
