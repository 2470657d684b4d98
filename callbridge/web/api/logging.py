"""CRM logging: communications with their logging status and CRM links, picking a contact among
several matches, relogging by hand, notes/disposition (through the 3-way merge), connection health."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import ActivityStatus, CrmActivity, CrmConnection, Role
from callbridge.errors import InvalidInput
from callbridge.pipelines.logging.disconnect import disconnect_connection
from callbridge.pipelines.logging.service import (
    connection_health,
    edit_activity,
    get_activity,
    relog,
    resolve,
)
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.deps import get_runtime, require, tenant_session

router = APIRouter(prefix="/logging", tags=["logging"])
EVERYONE = (Role.owner, Role.admin, Role.member, Role.auditor)
USERS = (Role.owner, Role.admin, Role.member)
READERS = (Role.owner, Role.admin, Role.auditor)


class Candidate(BaseModel):
    id: str
    type: str
    name: str


class LoggedOut(BaseModel):
    id: str
    communication_id: str | None
    communication_key: str
    kind: str
    connection: str
    status: ActivityStatus
    crm_activity_id: str | None
    crm_url: str | None
    contact_id: str | None
    contact_type: str | None
    candidates: list[Candidate]
    notes: str | None
    disposition: str | None
    last_error: str | None
    synced_at: datetime | None
    updated_at: datetime


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str | None = Field(default=None, max_length=128)
    candidate: int | None = Field(default=None, ge=0, description="index in the listed candidates")

    @model_validator(mode="after")
    def _one(self) -> ResolveIn:
        if (self.contact_id is None) == (self.candidate is None):
            raise ValueError("give either contact_id or candidate")
        return self


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str | None = Field(default=None, max_length=10_000)
    disposition: str | None = Field(default=None, max_length=255)


class ConnectionOut(BaseModel):
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
    mapped_users: int = Field(description="org-wide connection: users logged as their CRM user (by email)")
    unmapped_users: int = Field(description="org-wide connection: active users logged without a CRM owner")
    users_mapped_at: datetime | None


def _out(row: CrmActivity, names: dict[str, str]) -> LoggedOut:
    return LoggedOut(
        id=row.id, communication_id=row.communication_id, communication_key=row.communication_key,
        kind=row.kind, connection=names.get(row.connection_id, row.connection_id), status=row.status,
        crm_activity_id=row.crm_activity_id, crm_url=row.url, contact_id=row.contact_id,
        contact_type=row.contact_type,
        candidates=[Candidate(id=str(c.get("id")), type=str(c.get("type", "")), name=str(c.get("name", "")))
                    for c in row.candidates or []],
        notes=row.notes, disposition=row.disposition, last_error=row.last_error, synced_at=row.synced_at,
        updated_at=row.updated_at)


def _names(session: Session) -> dict[str, str]:
    return {c.id: c.name for c in session.scalars(select(CrmConnection))}


@router.get("/communications", response_model=list[LoggedOut])
def list_logged(
    status: ActivityStatus | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require(*EVERYONE)),
    session: Session = Depends(tenant_session),
) -> list[LoggedOut]:
    """Communications with their logging status, CRM links, and candidates where ambiguous."""
    query = select(CrmActivity).order_by(CrmActivity.updated_at.desc(), CrmActivity.id).limit(limit)
    if status is not None:
        query = query.where(CrmActivity.status == status)
    names = _names(session)
    return [_out(r, names) for r in session.scalars(query)]


@router.get("/communications/{activity_id}", response_model=LoggedOut)
def get_logged(activity_id: str, _: Principal = Depends(require(*EVERYONE)),
               session: Session = Depends(tenant_session)) -> LoggedOut:
    return _out(get_activity(session, activity_id), _names(session))


def _reload(runtime: Runtime, organization_id: str, activity_id: str) -> LoggedOut:
    with runtime.db.tenant(organization_id) as session:
        return _out(get_activity(session, activity_id), _names(session))


@router.post("/communications/{activity_id}/resolve", response_model=LoggedOut)
def resolve_match(activity_id: str, body: ResolveIn, who: Principal = Depends(require(*USERS)),
                  runtime: Runtime = Depends(get_runtime)) -> LoggedOut:
    """Pick the contact of a communication that matched several; it is then logged on it."""
    contact_id = body.contact_id
    if contact_id is None:
        with runtime.db.tenant(who.organization_id) as session:
            candidates = get_activity(session, activity_id).candidates or []
        if body.candidate is None or body.candidate >= len(candidates):
            raise InvalidInput(f"There is no candidate {body.candidate}; this communication has "
                               f"{len(candidates)}.", field="candidate",
                               hint="list the candidates with GET /api/v1/logging/communications/{id}")
        contact_id = str(candidates[body.candidate].get("id"))
    resolve(runtime, who.organization_id, activity_id, contact_id, actor=who.actor)
    return _reload(runtime, who.organization_id, activity_id)


@router.post("/communications/{activity_id}/relog", response_model=LoggedOut, status_code=202)
def relog_by_hand(activity_id: str, who: Principal = Depends(require(*USERS)),
                  runtime: Runtime = Depends(get_runtime)) -> LoggedOut:
    """Log again (a failed or skipped communication, or to rewrite our fields)."""
    relog(runtime, who.organization_id, activity_id, actor=who.actor)
    return _reload(runtime, who.organization_id, activity_id)


@router.patch("/communications/{activity_id}", response_model=LoggedOut)
def edit(activity_id: str, body: EditIn, who: Principal = Depends(require(*USERS)),
         runtime: Runtime = Depends(get_runtime)) -> LoggedOut:
    """Notes and disposition; written to the CRM through the 3-way merge (a person's CRM edits stay)."""
    edit_activity(runtime, who.organization_id, activity_id, notes=body.notes, disposition=body.disposition,
                  actor=who.actor)
    return _reload(runtime, who.organization_id, activity_id)


@router.get("/connections", response_model=list[ConnectionOut])
def health(_: Principal = Depends(require(*READERS)), session: Session = Depends(tenant_session)
           ) -> list[ConnectionOut]:
    """Per CRM connection: active or paused (and why), backlog, last success, last error, and for an
    org-wide connection how many users map to CRM users by email (the others are logged unowned)."""
    return [ConnectionOut(**vars(h)) for h in connection_health(session)]


class DisconnectOut(BaseModel):
    id: str
    name: str
    connector: str
    status: str = Field(description="'paused': logging waits until the CRM is connected again")
    revocation: str = Field(description="confirmed | unconfirmed (revoke access in the CRM by hand) | "
                            "not_revocable (API key, password) | nothing_stored (already disconnected)")
    revoked_at_crm: bool
    message: str
    credentials_deleted: int
    waiting: int = Field(description="communications that wait for the CRM to be connected again")


@router.delete("/connections/{connection_id}", response_model=DisconnectOut)
def disconnect(connection_id: str, who: Principal = Depends(require(Role.owner, Role.admin)),
               runtime: Runtime = Depends(get_runtime)) -> DisconnectOut:
    """Disconnect a CRM: revoke the token at the CRM, delete the credentials from the vault, and
    pause logging through it. Communications and their CRM activities are kept. When the CRM cannot
    be reached the credentials are deleted all the same and ``revocation`` says ``unconfirmed``."""
    done = disconnect_connection(runtime, who.organization_id, connection_id, actor=who.actor)
    return DisconnectOut(id=done.connection_id, name=done.name, connector=done.connector, status="paused",
                         revocation=done.revocation.value, revoked_at_crm=done.revocation == "confirmed",
                         message=done.message, credentials_deleted=done.credentials_deleted,
                         waiting=done.waiting)
