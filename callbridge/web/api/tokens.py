"""API tokens of the caller's organization (owners/admins see all, members their own)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import ApiToken, Role
from callbridge.errors import NotFound
from callbridge.privacy.audit import record_audit
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal, issue_token
from callbridge.web.api.schemas import TokenCreated, TokenIn, TokenOut
from callbridge.web.deps import get_runtime, principal, tenant_session

router = APIRouter(prefix="/tokens", tags=["tokens"])


def _visible(who: Principal, token: ApiToken | None) -> bool:
    return token is not None and (
        who.role in (Role.owner, Role.admin) or token.membership_id == who.membership_id
    )


def _get(session: Session, who: Principal, token_id: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or not _visible(who, token):
        raise NotFound(f"No token {token_id!r} in your organization.", field="token_id")
    return token


@router.get("", response_model=list[TokenOut])
def list_tokens(
    who: Principal = Depends(principal), session: Session = Depends(tenant_session)
) -> list[TokenOut]:
    rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id))
    return [TokenOut.model_validate(t, from_attributes=True) for t in rows if _visible(who, t)]


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(
    body: TokenIn,
    who: Principal = Depends(principal),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> TokenCreated:
    token, plain = issue_token(
        session, runtime.clock, membership_id=who.membership_id, name=body.name, actor=who.actor
    )
    return TokenCreated(**TokenOut.model_validate(token, from_attributes=True).model_dump(), token=plain)


@router.get("/{token_id}", response_model=TokenOut)
def get_token(
    token_id: str, who: Principal = Depends(principal), session: Session = Depends(tenant_session)
) -> TokenOut:
    return TokenOut.model_validate(_get(session, who, token_id), from_attributes=True)


@router.delete("/{token_id}", status_code=204)
def revoke_token(
    token_id: str,
    who: Principal = Depends(principal),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    token = _get(session, who, token_id)
    if token.revoked_at is None:
        token.revoked_at = runtime.clock.now()
        record_audit(
            session,
            runtime.clock,
            actor=who.actor,
            action="token.revoked",
            object_type="api_token",
            object_id=token.id,
        )
    return Response(status_code=204)
