"""Logging preferences: what to log, what to include, how to match; per organization and per user.

A user's preferences override the organization's key by key. Data minimisation: a kind of
communication not wanted is neither sent to the CRM nor stored in its activity row, and an
item not included (recording link, notes) is never put in the draft.

SMS: ``sms_conversations`` is ``all`` or ``chosen``. Chosen conversations are listed per
organization and per user (both lists count), each by the other party's E.164 number kept only as
a keyed HMAC (:class:`~callbridge.db.models.ChosenConversation`). A message of a conversation not
chosen (or any SMS while ``log_sms`` is off) is dropped by ingest once normalised: it never
reaches the ``communications`` table nor the CRM (:func:`sms_wanted`).

``default_time_zone`` is the zone an SMS conversation-day is cut in for a user whose platform
time zone the extension directory does not know (UTC when unset).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import ChosenConversation, LoggingPreference
from callbridge.domain.communication import Communication, CommunicationKind, Direction
from callbridge.domain.phone import InvalidPhoneNumber, parse_phone
from callbridge.errors import InvalidInput
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "ORG_SCOPE",
    "Preferences",
    "choose_conversation",
    "chosen_refs",
    "conversation_ref",
    "effective_preferences",
    "forget_conversation",
    "save_preferences",
    "sms_wanted",
    "user_scope",
    "wanted",
]

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
    sms_conversations: Literal["all", "chosen"] = "all"
    default_time_zone: str | None = Field(default=None, max_length=64)

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone name (e.g. America/Los_Angeles)") from None
        return value


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


def wanted(comm: Communication, prefs: Preferences, *, chosen: bool = True) -> tuple[bool, str]:
    """Whether ``comm`` is to be logged, and if not, why (for the activity's status).

    ``chosen``: whether an SMS conversation is among the chosen ones (asked only when the
    preferences log chosen conversations; see :func:`sms_wanted`).
    """
    if comm.kind is CommunicationKind.sms:
        if not prefs.log_sms:
            return False, "SMS logging is off"
        if prefs.sms_conversations == "chosen" and not chosen:
            return False, "this SMS conversation is not among the conversations chosen for logging"
        return True, ""
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


# -- chosen SMS conversations ---------------------------------------------------------------------
def conversation_ref(runtime: Runtime, session: Session, number: str) -> str:
    """The keyed HMAC a conversation is chosen under: the other party's E.164 number's pseudonym."""
    try:
        e164 = parse_phone(number, runtime.settings.default_region).e164
    except InvalidPhoneNumber as exc:
        raise InvalidInput(f"The conversation's number {number!r} is not a phone number: {exc}.",
                           field="number", hint="give the other party's number, e.g. +14155550123") from None
    return runtime.pseudonyms.pseudonym(session, "phone", e164)


def _scopes(owner_ref: str | None) -> list[str]:
    return [ORG_SCOPE, user_scope(owner_ref)] if owner_ref else [ORG_SCOPE]


def chosen_refs(session: Session, owner_ref: str | None) -> set[str]:
    """The conversations chosen for ``owner_ref``: the organization's list and the user's own."""
    return set(session.scalars(select(ChosenConversation.phone_ref)
                               .where(ChosenConversation.scope.in_(_scopes(owner_ref)))))


def choose_conversation(runtime: Runtime, organization_id: str, number: str, *, owner_ref: str | None = None,
                        actor: str) -> str:
    """Add a conversation to the organization's list (or ``owner_ref``'s); idempotent, audited."""
    scope = user_scope(owner_ref) if owner_ref else ORG_SCOPE
    try:
        with runtime.db.tenant(organization_id) as session:
            ref = conversation_ref(runtime, session, number)
            exists = session.scalars(select(ChosenConversation.id).where(
                ChosenConversation.scope == scope, ChosenConversation.phone_ref == ref)).first()
            if exists is None:
                session.add(ChosenConversation(scope=scope, phone_ref=ref, created_at=runtime.clock.now()))
                record_audit(session, runtime.clock, actor=actor, action="logging.conversation_chosen",
                             object_type="chosen_conversation", object_id=ref, scope=scope)
    except IntegrityError:
        pass  # chosen a moment ago by another request: the same outcome
    return ref


def forget_conversation(runtime: Runtime, organization_id: str, number: str, *, owner_ref: str | None = None,
                        actor: str) -> bool:
    """Take a conversation off the list; later messages of it are no longer logged nor stored."""
    scope = user_scope(owner_ref) if owner_ref else ORG_SCOPE
    with runtime.db.tenant(organization_id) as session:
        ref = conversation_ref(runtime, session, number)
        row = session.scalars(select(ChosenConversation).where(
            ChosenConversation.scope == scope, ChosenConversation.phone_ref == ref)).first()
        if row is None:
            return False
        session.delete(row)
        record_audit(session, runtime.clock, actor=actor, action="logging.conversation_forgotten",
                     object_type="chosen_conversation", object_id=ref, scope=scope)
    return True


def _is_chosen(runtime: Runtime, session: Session, comm: Communication) -> bool:
    party = comm.counterpart
    if party is None or not party.phone:
        return False  # a conversation without a number cannot have been chosen
    ref = runtime.pseudonyms.pseudonym(session, "phone", party.phone)
    return ref in chosen_refs(session, comm.owner_ref)


def sms_wanted(runtime: Runtime, session: Session, comm: Communication,
               prefs: Preferences | None = None) -> tuple[bool, str]:
    """:func:`wanted` for an SMS conversation-day, the chosen list looked up when it matters."""
    prefs = prefs or effective_preferences(session, comm.owner_ref)
    chosen = True
    if comm.kind is CommunicationKind.sms and prefs.log_sms and prefs.sms_conversations == "chosen":
        chosen = _is_chosen(runtime, session, comm)
    return wanted(comm, prefs, chosen=chosen)
