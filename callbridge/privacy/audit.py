"""The audit helper: one call records who did what to which object."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import AuditEntry
from callbridge.db.session import scope_of

__all__ = ["record_audit"]


def record_audit(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None = None,
    **details: Any,
) -> AuditEntry:
    """Add an audit entry in the session's transaction (so it commits with the change itself).

    ``details`` must hold ids and settings, never personal data or secrets.
    """
    entry = AuditEntry(
        organization_id=scope_of(session).organization_id,
        at=clock.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
    )
    session.add(entry)
    return entry
