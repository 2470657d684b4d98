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

Some keys are the organization's rule only (:data:`ORG_ONLY_KEYS`: whether unknown numbers get a
placeholder contact, how one of several matches is picked): a user cannot override them, and a
value stored for a user under one of them is ignored.

A member's own scope is their extension: their email matched (case-insensitive) against the sealed
emails of the extension directory (:func:`member_extension`), as server-side logging maps users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import ChosenConversation, DirectoryEntry, LoggingPreference, User
from callbridge.domain.communication import Communication, CommunicationKind, Direction
from callbridge.domain.phone import InvalidPhoneNumber, parse_phone
from callbridge.errors import Conflict, InvalidInput
from callbridge.platforms.ringcentral.directory import PERSON_TYPES, open_extension
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "ORG_ONLY_KEYS",
    "ORG_SCOPE",
    "Preferences",
    "choose_conversation",
    "chosen_refs",
    "conversation_ref",
    "effective_preferences",
    "find_member_extension",
    "forget_chosen",
    "forget_conversation",
    "member_extension",
    "save_preferences",
    "sms_wanted",
    "stored_preferences",
    "user_scope",
    "wanted",
]

ORG_SCOPE = "org"
# the organization's rules: not overridable per user
ORG_ONLY_KEYS = frozenset({"placeholder_contacts", "placeholder_name", "several_matches", "type_order"})
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


def stored_preferences(session: Session, scope: str) -> dict[str, Any]:
    """The keys ``scope`` sets itself (a user's overrides; for the organization, its changes to the
    defaults), without the org-only keys in a user's scope."""
    values = _load(session, scope)
    if scope != ORG_SCOPE:
        values = {k: v for k, v in values.items() if k not in ORG_ONLY_KEYS}
    return values


def effective_preferences(session: Session, owner_ref: str | None) -> Preferences:
    """The organization's preferences, overridden by the user's where they set a value."""
    values = _load(session, ORG_SCOPE)
    if owner_ref:
        values.update(stored_preferences(session, user_scope(owner_ref)))
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


def _expected(key: str) -> str:
    """What ``key`` takes, for an error's fix."""
    annotation = Preferences.model_fields[key].annotation
    if annotation is bool:
        return "true or false"
    args = getattr(annotation, "__args__", ())
    if args and all(isinstance(a, str) for a in args):
        return "one of " + ", ".join(repr(a) for a in args)
    if key == "default_time_zone":
        return "an IANA time zone name such as 'America/Los_Angeles', or null"
    if key == "type_order":
        return "a list of CRM record types such as ['Contact', 'Lead']"
    limit = next((m.max_length for m in Preferences.model_fields[key].metadata
                  if getattr(m, "max_length", None)), None)
    return f"a text of at most {limit} characters" if limit else "a valid value"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _check_keys(scope: str, changes: dict[str, Any]) -> None:
    unknown = sorted(k for k in changes if k not in Preferences.model_fields)
    if unknown:
        raise InvalidInput(f"{unknown[0]!r} is not a logging preference"
                           + (f" (nor {', '.join(repr(k) for k in unknown[1:])})" if unknown[1:] else "")
                           + "; nothing was changed.", field=unknown[0],
                           hint="use one of " + ", ".join(sorted(Preferences.model_fields)))
    if scope != ORG_SCOPE:
        org_only = sorted(k for k in changes if k in ORG_ONLY_KEYS)
        if org_only:
            raise InvalidInput(f"{org_only[0]!r} is set for the whole organization, not per user; "
                               "nothing was changed.", field=org_only[0],
                               hint="leave it out, or ask an organization owner or admin to set it in the "
                                    "organization's preferences")


def save_preferences(session: Session, clock: Clock, scope: str, changes: dict[str, Any], *,
                     actor: str | None = None) -> Preferences:
    """Merge ``changes`` into the stored preferences of ``scope``; bad values change nothing.

    A ``None`` value removes the key from ``scope`` (back to the organization's value for a user,
    to the default for the organization). With ``actor`` the change is audited (the keys only).
    """
    _check_keys(scope, changes)
    row = session.scalars(select(LoggingPreference).where(LoggingPreference.scope == scope)).first()
    merged = {**(row.settings if row else {}), **changes}
    merged = {k: v for k, v in merged.items() if v is not None}
    try:
        checked = Preferences.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "preferences"
            where = ".".join(str(p) for p in error["loc"]) or key
            value = merged.get(key)
            fix = _expected(key) if key in Preferences.model_fields else "a valid value"
            problems.append((key, f"{where} = {_shown(value)}: {error['msg']} (expected {fix})"))
        raise InvalidInput(f"The logging preferences are invalid: {'; '.join(p for _, p in problems)}; "
                           "nothing was changed.", field=problems[0][0],
                           hint=f"set {problems[0][0]!r} to {_expected(problems[0][0])}"
                           if problems[0][0] in Preferences.model_fields
                           else "see the preference names and values in the API docs") from None
    stored = {k: v for k, v in checked.model_dump().items() if k in merged}
    if row is None:
        session.add(LoggingPreference(scope=scope, settings=stored, updated_at=clock.now()))
    else:
        row.settings = stored
        row.updated_at = clock.now()
    if actor is not None:
        record_audit(session, clock, actor=actor, action="logging.preferences_changed",
                     object_type="logging_preferences", object_id=scope, keys=sorted(changes),
                     cleared=sorted(k for k, v in changes.items() if v is None))
    return checked


# -- a member's own scope ---------------------------------------------------------------------
def _casefold(value: str | None) -> str:
    return (value or "").strip().casefold()


def find_member_extension(runtime: Runtime, session: Session, user_id: str) -> tuple[str | None, str]:
    """The pseudonym of the extension whose directory email is the member's (case-insensitive),
    or None and why not (no extension with that email, or several)."""
    user = session.get(User, user_id)
    email = _casefold(user.email if user is not None else None)
    if not email:
        return None, "your callbridge account has no email to look up in the extension directory"
    rows = list(session.scalars(select(DirectoryEntry).where(DirectoryEntry.has_email.is_(True),
                                                             DirectoryEntry.status.is_distinct_from("Removed"))))
    matches = [row for row in rows if _casefold(open_extension(session, runtime.vault, row).email) == email]
    refs = {row.ref for row in matches}
    if len(refs) > 1:  # a person and, say, a department sharing the email: the person's
        refs = {row.ref for row in matches if row.extension_type in PERSON_TYPES} or refs
    if len(refs) == 1:
        return next(iter(refs)), ""
    if not refs:
        why = (f"no phone extension in the extension directory has your email {email}" if rows
               else "the extension directory is empty (no phone platform is connected, or it was not "
                    "read yet)")
        return None, why
    return None, f"{len(refs)} phone extensions in the extension directory have your email {email}"


def member_extension(runtime: Runtime, session: Session, user_id: str) -> str:
    """:func:`find_member_extension`, or a Conflict saying why not and what to do."""
    ref, why = find_member_extension(runtime, session, user_id)
    if ref is None:
        raise Conflict(f"Your own logging settings need your phone extension, and {why}.", field="scope",
                       hint="set your email on your RingCentral extension to the one you sign in to "
                            "callbridge with (the directory is read again daily), or ask an owner or admin "
                            "to set it for the whole organization instead")
    return ref


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


def forget_chosen(session: Session, clock: Clock, row: ChosenConversation, *, actor: str) -> None:
    """Take one chosen conversation off its list (audited)."""
    session.delete(row)
    record_audit(session, clock, actor=actor, action="logging.conversation_forgotten",
                 object_type="chosen_conversation", object_id=row.phone_ref, scope=row.scope)


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
        forget_chosen(session, runtime.clock, row, actor=actor)
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
