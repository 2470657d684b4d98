"""Logging preferences (the organization's and the caller's own) and the SMS conversations chosen
for logging (when ``sms_conversations`` is ``chosen``).

A member's own scope is their phone extension, found by their email in the extension directory;
a member without one can read the organization's settings but not set their own (409 says why).
A chosen conversation's number is kept only as a keyed HMAC, so it is listed by id, scope, when
and by whom it was chosen; ``?number=`` tells whether one number is chosen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import AuditEntry, ChosenConversation, Membership, Role, User
from callbridge.errors import Forbidden, NotFound
from callbridge.pipelines.logging.preferences import (
    ORG_ONLY_KEYS,
    ORG_SCOPE,
    Preferences,
    choose_conversation,
    conversation_ref,
    effective_preferences,
    find_member_extension,
    forget_chosen,
    member_extension,
    save_preferences,
    stored_preferences,
    user_scope,
)
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.deps import get_runtime, require, tenant_session

router = APIRouter(prefix="/logging", tags=["logging preferences"])
EVERYONE = (Role.owner, Role.admin, Role.member, Role.auditor)
USERS = (Role.owner, Role.admin, Role.member)
MANAGERS = frozenset({Role.owner, Role.admin})
CHOSEN = "logging.conversation_chosen"

SETTINGS_EXAMPLE = {"log_missed_calls": False, "sms_conversations": "chosen", "default_time_zone": None}


class MyPreferences(BaseModel):
    available: bool = Field(description="whether you have a phone extension, so own settings")
    reason: str | None = Field(description="why not, when you have none")
    overrides: dict[str, Any] = Field(description="the keys you set yourself")


class PreferencesOut(BaseModel):
    organization: Preferences = Field(description="the organization's preferences (defaults where unset)")
    organization_overrides: dict[str, Any] = Field(description="the keys the organization changed")
    me: MyPreferences
    effective: Preferences = Field(description="what applies to your communications")
    org_only_keys: list[str] = Field(description="keys only the organization sets")


def _preferences(runtime: Runtime, session: Session, who: Principal) -> PreferencesOut:
    ref, why = find_member_extension(runtime, session, who.user_id)
    return PreferencesOut(
        organization=effective_preferences(session, None),
        organization_overrides=stored_preferences(session, ORG_SCOPE),
        me=MyPreferences(available=ref is not None, reason=why or None,
                         overrides=stored_preferences(session, user_scope(ref)) if ref else {}),
        effective=effective_preferences(session, ref),
        org_only_keys=sorted(ORG_ONLY_KEYS),
    )


def _settings(body: Any) -> dict[str, Any]:
    return body  # type: ignore[no-any-return]  # FastAPI checked it is an object


@router.get("/preferences", response_model=PreferencesOut)
def get_preferences(who: Principal = Depends(require(*EVERYONE)), runtime: Runtime = Depends(get_runtime),
                    session: Session = Depends(tenant_session)) -> PreferencesOut:
    """The organization's logging preferences, your own overrides, and what applies to you."""
    return _preferences(runtime, session, who)


SettingsBody = Body(..., description="keys to set; null removes a key (back to the default or the "
                                     "organization's value); keys left out are kept",
                    examples=[SETTINGS_EXAMPLE])


@router.put("/preferences/organization", response_model=PreferencesOut)
def put_organization_preferences(body: dict[str, Any] = SettingsBody,
                                 who: Principal = Depends(require(Role.owner, Role.admin)),
                                 runtime: Runtime = Depends(get_runtime),
                                 session: Session = Depends(tenant_session)) -> PreferencesOut:
    """Change the organization's preferences. An unknown key or a bad value changes nothing (422)."""
    save_preferences(session, runtime.clock, ORG_SCOPE, _settings(body), actor=who.actor)
    session.flush()
    return _preferences(runtime, session, who)


@router.put("/preferences/me", response_model=PreferencesOut)
def put_my_preferences(body: dict[str, Any] = SettingsBody, who: Principal = Depends(require(*USERS)),
                       runtime: Runtime = Depends(get_runtime),
                       session: Session = Depends(tenant_session)) -> PreferencesOut:
    """Change your own overrides (not the org-only keys). Needs your phone extension (409 otherwise)."""
    ref = member_extension(runtime, session, who.user_id)
    save_preferences(session, runtime.clock, user_scope(ref), _settings(body), actor=who.actor)
    session.flush()
    return _preferences(runtime, session, who)


# -- chosen SMS conversations ---------------------------------------------------------------------
class ConversationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(min_length=1, max_length=40,
                        description="the other party's number, e.g. +16505550101")
    scope: Literal["org", "me"] = Field(default="me", description="the organization's list (owner/admin) "
                                        "or your own")


class ConversationOut(BaseModel):
    id: str
    scope: Literal["org", "me"]
    chosen_at: datetime
    chosen_by: str | None = Field(description="the member's email, or who else chose it (e.g. the CLI)")


def _chosen_by(session: Session, rows: list[ChosenConversation]) -> dict[tuple[str, str], str]:
    if not rows:
        return {}
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action == CHOSEN, AuditEntry.object_id.in_({r.phone_ref for r in rows}))
        .order_by(AuditEntry.at, AuditEntry.id))
    actors = {(str((e.details or {}).get("scope")), e.object_id or ""): e.actor for e in entries}
    user_ids = {a.removeprefix("user:") for a in actors.values() if a.startswith("user:")}
    rows = session.execute(select(User.id, User.email).join(Membership, Membership.user_id == User.id)
                           .where(User.id.in_(user_ids))).all() if user_ids else []
    emails = {user_id: email for user_id, email in rows}
    return {key: emails.get(actor.removeprefix("user:"), actor) for key, actor in actors.items()}


def _outs(session: Session, rows: list[ChosenConversation]) -> list[ConversationOut]:
    by = _chosen_by(session, rows)
    return [ConversationOut(id=r.id, scope="org" if r.scope == ORG_SCOPE else "me", chosen_at=r.created_at,
                            chosen_by=by.get((r.scope, r.phone_ref))) for r in rows]


@router.get("/conversations", response_model=list[ConversationOut])
def list_conversations(
    number: str | None = Query(default=None, max_length=40, description="only this number's conversation"),
    who: Principal = Depends(require(*EVERYONE)),
    runtime: Runtime = Depends(get_runtime),
    session: Session = Depends(tenant_session),
) -> list[ConversationOut]:
    """The SMS conversations chosen for logging: the organization's and your own."""
    ref, _ = find_member_extension(runtime, session, who.user_id)
    scopes = [ORG_SCOPE, user_scope(ref)] if ref else [ORG_SCOPE]
    query = (select(ChosenConversation).where(ChosenConversation.scope.in_(scopes))
             .order_by(ChosenConversation.created_at.desc(), ChosenConversation.id))
    if number is not None:
        query = query.where(ChosenConversation.phone_ref == conversation_ref(runtime, session, number))
    return _outs(session, list(session.scalars(query)))


def _forbid_unless_manager(who: Principal, what: str) -> None:
    if who.role not in MANAGERS:
        raise Forbidden(f"Your role {who.role.value!r} cannot {what} the organization's chosen "
                        "conversations.", field="scope",
                        hint="ask an organization admin or owner to do it, or use scope 'me'")


@router.post("/conversations", response_model=ConversationOut, status_code=201)
def choose(body: ConversationIn, response: Response, who: Principal = Depends(require(*USERS)),
           runtime: Runtime = Depends(get_runtime)) -> ConversationOut:
    """Choose an SMS conversation for logging (201; 200 when it was chosen already)."""
    owner_ref: str | None = None
    with runtime.db.tenant(who.organization_id) as session:
        if body.scope == "org":
            _forbid_unless_manager(who, "add to")
        else:
            owner_ref = member_extension(runtime, session, who.user_id)
        scope = user_scope(owner_ref) if owner_ref else ORG_SCOPE
        phone_ref = conversation_ref(runtime, session, body.number)  # a bad number: 422 before anything
        existed = session.scalars(select(ChosenConversation.id).where(
            ChosenConversation.scope == scope, ChosenConversation.phone_ref == phone_ref)).first() is not None
    choose_conversation(runtime, who.organization_id, body.number, owner_ref=owner_ref, actor=who.actor)
    if existed:
        response.status_code = 200
    with runtime.db.tenant(who.organization_id) as session:
        row = session.scalars(select(ChosenConversation).where(
            ChosenConversation.scope == scope, ChosenConversation.phone_ref == phone_ref)).one()
        return _outs(session, [row])[0]


@router.delete("/conversations/{conversation_id}", status_code=204)
def forget(conversation_id: str, who: Principal = Depends(require(*USERS)),
           runtime: Runtime = Depends(get_runtime), session: Session = Depends(tenant_session)) -> Response:
    """Stop logging a chosen conversation: its later messages are neither logged nor stored."""
    row = session.get(ChosenConversation, conversation_id)
    if row is not None and row.scope != ORG_SCOPE:
        ref, _ = find_member_extension(runtime, session, who.user_id)
        if ref is None or row.scope != user_scope(ref):
            row = None  # another user's: not visible to the caller
    if row is None:
        raise NotFound(f"No chosen conversation {conversation_id!r} of yours or of the organization.",
                       field="conversation_id", hint="list them with GET /api/v1/logging/conversations")
    if row.scope == ORG_SCOPE:
        _forbid_unless_manager(who, "remove from")
    forget_chosen(session, runtime.clock, row, actor=who.actor)
    return Response(status_code=204)
