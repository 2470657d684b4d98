"""The audit helper: one call records who did what to which object; the log is append-only.

Append-only from the application's side: a session refuses to flush a changed or deleted
:class:`AuditEntry`, and refuses an ``UPDATE``/``DELETE`` statement against ``audit_log`` (ORM
bulk or textual SQL), unless the code doing it runs inside :func:`audit_maintenance` — which only
the retention purge and the organization deletion enter, each in its named system or job scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.elements import TextClause

from callbridge.clock import Clock
from callbridge.db.models import AuditEntry
from callbridge.db.session import ScopedSession, scope_of
from callbridge.errors import CallbridgeError

__all__ = ["AuditAppendOnly", "audit_maintenance", "record_audit"]

AUDIT_TABLE = AuditEntry.__tablename__
_MAINTENANCE: ContextVar[str | None] = ContextVar("callbridge_audit_maintenance", default=None)
_TEXT_WRITE = re.compile(rf"^\s*(update|delete\s+from)\s+[\"`]?{AUDIT_TABLE}\b", re.IGNORECASE)


class AuditAppendOnly(CallbridgeError):
    """Something tried to change or delete an audit entry outside the purge and the deletion."""

    code = "audit_append_only"
    http_status = 500


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


@contextmanager
def audit_maintenance(reason: str) -> Iterator[None]:
    """Let the code inside remove audit entries: only the retention purge and the organization
    deletion use it. ``reason`` says which (it appears in the error of anything else)."""
    if not reason.strip():
        raise ValueError("audit maintenance needs a reason")
    token = _MAINTENANCE.set(reason)
    try:
        yield
    finally:
        _MAINTENANCE.reset(token)


def _refuse(what: str) -> AuditAppendOnly:
    return AuditAppendOnly(
        f"The audit log is append-only: {what} is refused.",
        hint="record a new audit entry instead; entries are removed only by the retention purge "
        "(CALLBRIDGE_RETENTION_AUDIT_DAYS) and by the deletion of their organization",
    )


@event.listens_for(ScopedSession, "before_flush")
def _no_changed_entries(session: Session, _context: Any, _instances: Any) -> None:
    if _MAINTENANCE.get() is not None:
        return
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise _refuse(f"deleting audit entry {obj.id}")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise _refuse(f"changing audit entry {obj.id}")


@event.listens_for(ScopedSession, "do_orm_execute")
def _no_bulk_writes(state: ORMExecuteState) -> None:
    if _MAINTENANCE.get() is not None:
        return
    if state.is_update or state.is_delete:
        table = getattr(getattr(state.statement, "table", None), "name", None)
        if table == AUDIT_TABLE or any(m.class_ is AuditEntry for m in state.all_mappers):
            raise _refuse(f"an {'UPDATE' if state.is_update else 'DELETE'} of {AUDIT_TABLE}")
    elif isinstance(state.statement, TextClause) and _TEXT_WRITE.match(state.statement.text):
        raise _refuse(f"the statement {state.statement.text.split(None, 1)[0].upper()} … {AUDIT_TABLE}")
