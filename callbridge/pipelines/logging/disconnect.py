"""Disconnecting a CRM: revoke the token at the CRM, delete the credentials, keep the data.

In this order, so that a crash anywhere leaves something a second disconnect completes:

1. the connection is paused with the reason, so no worker starts a CRM write with it;
2. the connector's ``unauthorize()`` revokes the token at the CRM (OAuth) and forgets it;
3. every vault entry of the connection is deleted — also when the CRM could not be reached or
   failed: the local secret never outlives a disconnect, and the answer (and the audit entry)
   says the revocation at the CRM could not be confirmed;
4. communications waiting for this connection stay ``waiting`` with the reason: they are logged
   if the CRM is connected again, never dead-lettered. Communications, CRM activity rows and the
   activities in the CRM are kept.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, or_, select, update

from callbridge.connectors.base import AuthExpired, AuthKind, Connector
from callbridge.db.models import ActivityStatus, ConnectionStatus, CrmActivity, CrmConnection, SealedSecret
from callbridge.http.redaction import redact
from callbridge.pipelines.logging.connections import build_connector, get_connection
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["Disconnection", "Revocation", "disconnect_connection"]

MAX_REASON = 1000


class Revocation(enum.StrEnum):
    confirmed = "confirmed"  # the CRM revoked the token (or already refused it)
    unconfirmed = "unconfirmed"  # the CRM could not be reached or failed: revoke access there by hand
    not_revocable = "not_revocable"  # an API key or password: the CRM's API cannot revoke it
    nothing_stored = "nothing_stored"  # no credential was stored: already disconnected


@dataclass(frozen=True)
class Disconnection:
    connection_id: str
    name: str
    connector: str
    revocation: Revocation
    message: str
    credentials_deleted: int
    waiting: int  # communications that wait for a reconnect


def _auth_kind(connector: Connector) -> AuthKind | None:
    """The connection's kind of credential, where the connector shows it (not part of the contract)."""
    auth = getattr(connector, "auth", None) or getattr(getattr(connector, "client", None), "auth", None)
    kind = getattr(auth, "kind", None)
    return kind if isinstance(kind, AuthKind) else None


def _signs_out(connector: Connector) -> bool:
    """A declarative connector whose manifest has an ``unauthorize`` call revokes even an API key."""
    operations = getattr(getattr(connector, "manifest", None), "operations", None)
    return isinstance(operations, dict) and "unauthorize" in operations


async def _revoke(connector: Connector, display: str) -> tuple[Revocation, str]:
    kind = None if _signs_out(connector) else _auth_kind(connector)
    try:
        await connector.unauthorize()
    except AuthExpired:
        return Revocation.confirmed, f"{display} already refused the stored token: nothing left to revoke."
    except Exception as exc:  # network, 5xx, anything: the local secret is deleted all the same
        reason = redact(str(exc) or type(exc).__name__)[:300]
        return Revocation.unconfirmed, (
            f"The revocation at {display} could not be confirmed ({reason}). callbridge deleted its copy "
            f"of the credentials; to be sure the token is dead, remove callbridge's access in {display} "
            "(connected apps / API tokens)."
        )
    finally:
        await connector.aclose()
    if kind is AuthKind.api_key:
        return Revocation.not_revocable, (
            f"An API key cannot be revoked through {display}'s API: callbridge deleted its copy. If it may "
            f"have leaked, regenerate it in {display}.")
    if kind is AuthKind.password:
        return Revocation.not_revocable, (
            f"A password cannot be revoked through {display}'s API: callbridge deleted its copy. If it may "
            f"have leaked, change it in {display}.")
    return Revocation.confirmed, f"{display} revoked the token."


def disconnect_connection(runtime: Runtime, organization_id: str, connection_id: str, *,
                          actor: str) -> Disconnection:
    """Disconnect ``connection_id`` (of ``organization_id``; NotFound otherwise); audited."""
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        connection = get_connection(session, connection_id)
        name, connector_name, purpose = connection.name, connection.connector, connection.credential_purpose
        reason = (f"Disconnected by {actor} at {now:%Y-%m-%d %H:%M} UTC: the credentials are deleted; "
                  f"connect {name} again to resume logging.")[:MAX_REASON]
        connection.status = ConnectionStatus.paused
        connection.paused_reason = reason
        connection.paused_at = now
        connection.updated_at = now
        stored = session.scalar(
            select(func.count()).select_from(SealedSecret).where(SealedSecret.purpose == purpose)) or 0
        connector: Connector | None = None
        broken: str | None = None
        if stored:
            try:
                connector = build_connector(runtime, organization_id, connection)
            except Exception as exc:  # an unknown connector or bad options: the secrets go all the same
                broken = redact(str(exc) or type(exc).__name__)[:300]
    if connector is not None:
        revocation, message = asyncio.run(_revoke(connector, connector.info.display_name))
    elif broken is not None:
        revocation, message = Revocation.unconfirmed, (
            f"The {connector_name} connector could not be started to revoke the token ({broken}). callbridge "
            f"deleted its copy of the credentials; remove callbridge's access in {connector_name} by hand.")
    else:
        revocation, message = Revocation.nothing_stored, (
            f"No credentials of {name} were stored (already disconnected): nothing to revoke. If an earlier "
            "disconnect could not confirm the revocation, remove callbridge's access in the CRM.")
    with runtime.db.tenant(organization_id) as session:
        session.execute(delete(SealedSecret).where(SealedSecret.purpose == purpose)
                        .execution_options(synchronize_session=False))
        session.execute(
            update(CrmActivity)
            .where(CrmActivity.connection_id == connection_id, CrmActivity.crm_activity_id.is_(None),
                   CrmActivity.status.in_([ActivityStatus.reserved, ActivityStatus.waiting]))
            .values(status=ActivityStatus.waiting, needs_sync=True, last_error=reason, updated_at=now)
            .execution_options(synchronize_session=False))
        waiting = session.scalar(select(func.count()).select_from(CrmActivity).where(
            CrmActivity.connection_id == connection_id,
            or_(CrmActivity.status == ActivityStatus.waiting, CrmActivity.needs_sync.is_(True)))) or 0
        row = session.get_one(CrmConnection, connection_id)
        row.last_error = reason if revocation is not Revocation.unconfirmed else message[:MAX_REASON]
        row.last_error_at = now
        record_audit(session, runtime.clock, actor=actor, action="crm.disconnected",
                     object_type="crm_connection", object_id=connection_id, connector=connector_name,
                     revocation=revocation.value, revoked_at_crm=revocation is Revocation.confirmed,
                     credentials_deleted=int(stored), waiting=int(waiting),
                     **({"revocation_error": message[:300]} if revocation is Revocation.unconfirmed else {}))
    return Disconnection(connection_id, name, connector_name, revocation, message, int(stored), int(waiting))
