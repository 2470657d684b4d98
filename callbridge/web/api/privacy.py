"""Export, deletion with a grace period, and consented support sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import DeletionRequest, Role, SupportSession
from callbridge.errors import NotFound
from callbridge.privacy.audit import record_audit
from callbridge.privacy.export import stream_export
from callbridge.privacy.lifecycle import active_request, cancel_deletion, request_deletion
from callbridge.privacy.support import CONSENT_TEXT, create_support_session, read_support_session
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.api.schemas import Strict
from callbridge.web.deps import get_runtime, principal, require, tenant_session

router = APIRouter(tags=["privacy"])
MANAGERS = (Role.owner, Role.admin)


class DeletionOut(BaseModel):
    id: str
    requested_at: datetime
    due_at: datetime
    cancelled_at: datetime | None


class ConsentOut(BaseModel):
    consent_text: str


class SupportSessionIn(Strict):
    consent: bool
    consent_text: str


class SupportSessionOut(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime
    consented_by: str


class SupportSessionDetail(SupportSessionOut):
    bundle: dict[str, Any]


def _deletion(request: DeletionRequest) -> DeletionOut:
    return DeletionOut.model_validate(request, from_attributes=True)


@router.get("/organization/export")
def export_organization(
    who: Principal = Depends(require(*MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> StreamingResponse:
    """All of the organization's data as one JSON document (schema: privacy/export.schema.json)."""
    with runtime.db.tenant(who.organization_id) as session:
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="organization.exported",
            object_type="organization",
            object_id=who.organization_id,
        )
    return StreamingResponse(
        stream_export(runtime, who.organization_id),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="callbridge-export.json"'},
    )


@router.get("/organization/deletion", response_model=DeletionOut)
def deletion_status(
    _: Principal = Depends(require(*MANAGERS)), session: Session = Depends(tenant_session)
) -> DeletionOut:
    request = active_request(session)
    if request is None:
        raise NotFound("No deletion is scheduled for this organization.")
    return _deletion(request)


@router.post("/organization/deletion", response_model=DeletionOut, status_code=202)
def schedule_deletion(
    who: Principal = Depends(require(Role.owner)), runtime: Runtime = Depends(get_runtime)
) -> DeletionOut:
    """Delete everything of this organization after the grace period (30 days by default)."""
    return _deletion(request_deletion(runtime, who))


@router.delete("/organization/deletion", response_model=DeletionOut)
def cancel_scheduled_deletion(
    who: Principal = Depends(require(Role.owner)), runtime: Runtime = Depends(get_runtime)
) -> DeletionOut:
    return _deletion(cancel_deletion(runtime, who))


@router.get("/support-sessions/consent", response_model=ConsentOut)
def consent_text(_: Principal = Depends(principal)) -> ConsentOut:
    return ConsentOut(consent_text=CONSENT_TEXT)


@router.post("/support-sessions", response_model=SupportSessionOut, status_code=201)
def open_support_session(
    body: SupportSessionIn,
    who: Principal = Depends(require(*MANAGERS)),
    runtime: Runtime = Depends(get_runtime),
) -> SupportSessionOut:
    support = create_support_session(runtime, who, consent=body.consent, consent_text=body.consent_text)
    return SupportSessionOut.model_validate(support, from_attributes=True)


@router.get("/support-sessions", response_model=list[SupportSessionOut])
def list_support_sessions(
    _: Principal = Depends(require(*MANAGERS)), session: Session = Depends(tenant_session)
) -> list[SupportSessionOut]:
    rows = session.scalars(select(SupportSession).order_by(SupportSession.created_at.desc()))
    return [SupportSessionOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/support-sessions/{session_id}", response_model=SupportSessionDetail)
def get_support_session(
    session_id: str, who: Principal = Depends(require(*MANAGERS)), runtime: Runtime = Depends(get_runtime)
) -> SupportSessionDetail:
    support = read_support_session(runtime, who, session_id)
    return SupportSessionDetail.model_validate(support, from_attributes=True)
