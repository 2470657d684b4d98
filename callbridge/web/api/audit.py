"""The audit log of the caller's organization."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import AuditEntry, Role
from callbridge.tenancy import Principal
from callbridge.web.api.schemas import AuditOut
from callbridge.web.deps import require, tenant_session

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut])
def list_audit(
    action: str | None = Query(default=None, max_length=100),
    limit: int = Query(default=100, ge=1, le=1000),
    _: Principal = Depends(require(Role.owner, Role.admin, Role.auditor)),
    session: Session = Depends(tenant_session),
) -> list[AuditOut]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return [AuditOut.model_validate(e, from_attributes=True) for e in session.scalars(query)]
