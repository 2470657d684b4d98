"""Members of the caller's organization and their roles."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callbridge.db.models import Membership, Role, User
from callbridge.errors import Conflict, Forbidden, NotFound
from callbridge.privacy.audit import record_audit
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal, add_member
from callbridge.web.api.schemas import MemberIn, MemberOut, MemberPatch
from callbridge.web.deps import get_runtime, principal, require, tenant_session

router = APIRouter(prefix="/members", tags=["members"])
MANAGERS = (Role.owner, Role.admin)


def _out(session: Session, membership: Membership) -> MemberOut:
    user = session.get_one(User, membership.user_id)
    return MemberOut(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        role=membership.role,
        created_at=membership.created_at,
    )


def _get(session: Session, member_id: str) -> Membership:
    membership = session.get(Membership, member_id)
    if membership is None:
        raise NotFound(f"No member {member_id!r} in your organization.", field="member_id")
    return membership


def _guard_owner_change(session: Session, who: Principal, target: Membership, new_role: Role | None) -> None:
    if target.role == Role.owner or new_role == Role.owner:
        if who.role != Role.owner:
            raise Forbidden("Only an owner can grant or change the owner role.", hint="ask an owner")
        owners = session.scalar(
            select(func.count()).select_from(Membership).where(Membership.role == Role.owner)
        )
        if target.role == Role.owner and new_role != Role.owner and (owners or 0) <= 1:
            raise Conflict(
                "An organization keeps at least one owner.",
                field="role",
                hint="make another member owner first",
            )


@router.get("", response_model=list[MemberOut])
def list_members(
    _: Principal = Depends(principal), session: Session = Depends(tenant_session)
) -> list[MemberOut]:
    rows = session.scalars(select(Membership).order_by(Membership.created_at, Membership.id))
    return [_out(session, m) for m in rows]


@router.post("", response_model=MemberOut, status_code=201)
def create_member(
    body: MemberIn,
    who: Principal = Depends(require(*MANAGERS)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> MemberOut:
    if body.role == Role.owner and who.role != Role.owner:
        raise Forbidden("Only an owner can grant the owner role.", field="role", hint="ask an owner")
    return _out(
        session, add_member(session, runtime.clock, email=body.email, role=body.role, actor=who.actor)
    )


@router.get("/{member_id}", response_model=MemberOut)
def get_member(
    member_id: str, _: Principal = Depends(principal), session: Session = Depends(tenant_session)
) -> MemberOut:
    return _out(session, _get(session, member_id))


@router.patch("/{member_id}", response_model=MemberOut)
def patch_member(
    member_id: str,
    body: MemberPatch,
    who: Principal = Depends(require(*MANAGERS)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> MemberOut:
    membership = _get(session, member_id)
    _guard_owner_change(session, who, membership, body.role)
    membership.role = body.role
    record_audit(
        session,
        runtime.clock,
        actor=who.actor,
        action="member.role_changed",
        object_type="membership",
        object_id=membership.id,
        role=body.role.value,
    )
    return _out(session, membership)


@router.delete("/{member_id}", status_code=204)
def delete_member(
    member_id: str,
    who: Principal = Depends(require(*MANAGERS)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    membership = _get(session, member_id)
    _guard_owner_change(session, who, membership, None)
    session.delete(membership)
    record_audit(
        session,
        runtime.clock,
        actor=who.actor,
        action="member.removed",
        object_type="membership",
        object_id=member_id,
    )
    return Response(status_code=204)
