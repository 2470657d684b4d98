"""Logging preferences: what to log, what to include, how to match; per organization and per user.

A user's preferences override the organization's key by key. Data minimisation: a kind of
communication not wanted is neither sent to the CRM nor stored in its activity row, and an
item not included (recording link, notes) is never put in the draft.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import LoggingPreference
from callbridge.domain.communication import Communication, CommunicationKind, Direction
from callbridge.errors import InvalidInput

__all__ = ["ORG_SCOPE", "Preferences", "effective_preferences", "save_preferences", "user_scope", "wanted"]

ORG_SCOPE = "org"
MISSED_RESULTS = frozenset({"missed", "no answer", "no_answer", "busy", "rejected", "declined"})


def user_scope(owner_ref: str) -> str:
    return f"user:{owner_ref}"


class Preferences(BaseModel):
    """One organization's or user's logging settings (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")

    log_inbound_calls: bool = True
    log_outbound_calls: bool = True
    log_missed_calls: bool = True
    log_voicemail: bool = True
    log_fax: bool = True
    log_sms: bool = True
    include_recording_link: bool = True
    include_notes: bool = True
    subject_template: str = Field(default="{direction_title} {kind_title} {with_or_from} {counterpart}",
                                  max_length=255)
    sms_subject_template: str = Field(default="SMS conversation with {counterpart} on {day}", max_length=255)
    placeholder_contacts: Literal["never", "create"] = "never"
    placeholder_name: str = Field(default="Unknown caller {number}", max_length=120)
    several_matches: Literal["ask", "last_used", "type_order"] = "ask"
    type_order: list[str] = Field(default_factory=lambda: ["Contact", "Lead", "contact", "Person"])


def _load(session: Session, scope: str) -> dict[str, Any]:
    row = session.scalars(select(LoggingPreference).where(LoggingPreference.scope == scope)).first()
    return dict(row.settings) if row is not None else {}


def effective_preferences(session: Session, owner_ref: str | None) -> Preferences:
    """The organization's preferences, overridden by the user's where they set a value."""
    values = _load(session, ORG_SCOPE)
    if owner_ref:
        values.update(_load(session, user_scope(owner_ref)))
    try:
        return Preferences.model_validate(values)
    except ValidationError:  # stored settings from an older version: keep the valid keys
        known = {k: v for k, v in values.items() if k in Preferences.model_fields}
        return Preferences.model_validate({k: v for k, v in known.items()
                                           if _valid(k, v)})


def _valid(key: str, value: Any) -> bool:
    try:
        Preferences.model_validate({key: value})
    except ValidationError:
        return False
    return True


def save_preferences(session: Session, clock: Clock, scope: str, changes: dict[str, Any]) -> Preferences:
    """Merge ``changes`` into the stored preferences of ``scope``; bad values change nothing."""
    row = session.scalars(select(LoggingPreference).where(LoggingPreference.scope == scope)).first()
    merged = {**(row.settings if row else {}), **changes}
    try:
        checked = Preferences.model_validate(merged)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"The logging preferences are invalid: {where}.", field="preferences",
                           hint="see the preference names and values in the API docs") from None
    stored = {k: v for k, v in checked.model_dump().items() if k in merged}
    if row is None:
        session.add(LoggingPreference(scope=scope, settings=stored, updated_at=clock.now()))
    else:
        row.settings = stored
        row.updated_at = clock.now()
    return checked


def wanted(comm: Communication, prefs: Preferences) -> tuple[bool, str]:
    """Whether ``comm`` is to be logged, and if not, why (for the activity's status)."""
    if comm.kind is CommunicationKind.sms:
        return prefs.log_sms, "SMS logging is off"
    if comm.kind is CommunicationKind.fax:
        return prefs.log_fax, "fax logging is off"
    if comm.kind is CommunicationKind.voicemail:
        return prefs.log_voicemail, "voicemail logging is off"
    if comm.direction is Direction.internal:
        return False, "internal calls are not logged to a CRM"
    if (comm.result or "").strip().lower() in MISSED_RESULTS:
        return prefs.log_missed_calls, "missed-call logging is off"
    if comm.direction is Direction.outbound:
        return prefs.log_outbound_calls, "outbound-call logging is off"
    return prefs.log_inbound_calls, "inbound-call logging is off"
