"""Stored credentials of the caller's organization: write-only values, readable metadata."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import Role, SealedSecret
from callbridge.errors import InvalidInput, NotFound
from callbridge.privacy.audit import record_audit
from callbridge.privacy.pseudonym import PSEUDONYM_KEY_PURPOSE
from callbridge.runtime import Runtime
from callbridge.tenancy import Principal
from callbridge.web.api.schemas import CredentialIn, CredentialOut
from callbridge.web.deps import get_runtime, require, tenant_session

router = APIRouter(prefix="/credentials", tags=["credentials"])
MANAGERS = (Role.owner, Role.admin)
INTERNAL_PURPOSES = {PSEUDONYM_KEY_PURPOSE}


def _out(row: SealedSecret) -> CredentialOut:
    return CredentialOut.model_validate(row, from_attributes=True)


@router.get("", response_model=list[CredentialOut])
def list_credentials(
    _: Principal = Depends(require(*MANAGERS)), session: Session = Depends(tenant_session)
) -> list[CredentialOut]:
    rows = session.scalars(
        select(SealedSecret)
        .where(SealedSecret.purpose.not_in(INTERNAL_PURPOSES))
        .order_by(SealedSecret.purpose)
    )
    return [_out(r) for r in rows]


@router.put("", response_model=CredentialOut)
def put_credential(
    body: CredentialIn,
    who: Principal = Depends(require(*MANAGERS)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> CredentialOut:
    if body.purpose in INTERNAL_PURPOSES:
        raise InvalidInput(
            f"{body.purpose!r} is reserved for callbridge itself.",
            field="purpose",
            hint="pick a purpose such as 'crm:hubspot:api-key'",
        )
    row = runtime.vault.put(session, body.purpose, body.name, body.value)
    record_audit(
        session,
        runtime.clock,
        actor=who.actor,
        action="credential.stored",
        object_type="credential",
        object_id=row.id,
        purpose=body.purpose,
    )
    return _out(row)


@router.delete("/{credential_id}", status_code=204)
def delete_credential(
    credential_id: str,
    who: Principal = Depends(require(*MANAGERS)),
    session: Session = Depends(tenant_session),
    runtime: Runtime = Depends(get_runtime),
) -> Response:
    row = session.get(SealedSecret, credential_id)
    if row is None or row.purpose in INTERNAL_PURPOSES:
        raise NotFound(f"No credential {credential_id!r} in your organization.", field="credential_id")
    session.delete(row)
    record_audit(
        session,
        runtime.clock,
        actor=who.actor,
        action="credential.deleted",
        object_type="credential",
        object_id=credential_id,
    )
    return Response(status_code=204)
