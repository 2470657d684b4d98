"""The caller's own organization and identity."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from callbridge.db.models import Organization, Role, User
from callbridge.privacy.audit import record_audit
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.api.schemas import MeOut, OrganizationOut, OrganizationPatch
from callbridge.web.deps import get_runtime, principal, require, tenant_session

router = APIRouter(tags=["organization"])


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut.model_validate(org, from_attributes=True)


@router.get("/me", response_model=MeOut)
def me(who: Principal = Depends(principal), session: Session = Depends(tenant_session)) -> MeOut:
    user = session.get_one(User, who.user_id)
    org = session.get_one(Organization, who.organization_id)
    return MeOut(user_id=user.id, email=user.email, role=who.role, organization=_org_out(org))


@router.get("/organization", response_model=OrganizationOut)
def get_organization(
    who: Principal = Depends(principal), session: Session = Depends(tenant_session)
) -> OrganizationOut:
    return _org_out(session.get_one(Organization, who.organization_id))


@router.patch("/organization", response_model=OrganizationOut)
def patch_organization(
    body: OrganizationPatch,
    who: Principal = Depends(require(Role.owner, Role.admin)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> OrganizationOut:
    org = session.get_one(Organization, who.organization_id)
    changes = body.model_dump(exclude_none=True)
    for name, value in changes.items():
        setattr(org, name, value)
    record_audit(
        session,
        runtime.clock,
        actor=who.actor,
        action="organization.updated",
        object_type="organization",
        object_id=org.id,
        fields=sorted(changes),
    )
    return _org_out(org)
