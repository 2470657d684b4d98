"""Support sessions: a diagnostic bundle shared with consent, readable by admins, gone after 30 days."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

import callbridge
from callbridge.config import effective_config
from callbridge.db.models import DeadLetter, Job, JobStatus, SupportSession
from callbridge.errors import InvalidInput, NotFound
from callbridge.http.redaction import redact
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime
    from callbridge.tenancy import Principal

__all__ = ["CONSENT_TEXT", "create_support_session", "read_support_session"]

CONSENT_TEXT = (
    "I allow callbridge support to read a diagnostic bundle of this organization (recent job "
    "errors, configuration without secrets) for up to 30 days."
)
RECENT = 50


def _bundle(runtime: Runtime, session: Any) -> dict[str, Any]:
    failing = session.scalars(
        select(Job).where(Job.last_error.is_not(None)).order_by(Job.updated_at.desc()).limit(RECENT)
    )
    dead = session.scalars(select(DeadLetter).order_by(DeadLetter.died_at.desc()).limit(RECENT))
    return {
        "version": callbridge.__version__,
        "generated_at": runtime.clock.now().isoformat(),
        "configuration": effective_config(runtime.settings),
        "recent_job_errors": [
            {
                "kind": j.kind,
                "status": j.status.value,
                "attempts": j.attempts,
                "error": redact(j.last_error or ""),
            }
            for j in failing
        ],
        "dead_letters": [
            {
                "kind": d.kind,
                "attempts": d.attempts,
                "died_at": d.died_at.isoformat(),
                "error": redact(d.error),
            }
            for d in dead
        ],
        "job_counts": {
            status.value: session.query(Job).filter(Job.status == status).count() for status in JobStatus
        },
    }


def create_support_session(
    runtime: Runtime, who: Principal, *, consent: bool, consent_text: str
) -> SupportSession:
    """Store a bundle only with the member's explicit consent to the current consent text."""
    if not consent or consent_text != CONSENT_TEXT:
        raise InvalidInput(
            "A support session needs your consent to the current consent text.",
            field="consent",
            hint="send consent=true and consent_text as GET /api/v1/support-sessions/consent gives it",
        )
    now = runtime.clock.now()
    with runtime.db.tenant(who.organization_id) as session:
        support = SupportSession(
            created_at=now,
            expires_at=now + timedelta(days=runtime.settings.support_session_days),
            consented_by=who.membership_id,
            consent_text=consent_text,
            bundle=_bundle(runtime, session),
        )
        session.add(support)
        session.flush()
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="support_session.created",
            object_type="support_session",
            object_id=support.id,
        )
        return support


def read_support_session(runtime: Runtime, who: Principal, session_id: str) -> SupportSession:
    with runtime.db.tenant(who.organization_id) as session:
        support = session.get(SupportSession, session_id)
        if support is None or support.expires_at <= runtime.clock.now():
            raise NotFound(f"No support session {session_id!r} in your organization.", field="session_id")
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="support_session.accessed",
            object_type="support_session",
            object_id=support.id,
        )
        return support
