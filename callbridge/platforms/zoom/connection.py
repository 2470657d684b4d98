"""An organization's Zoom connection: its webhook endpoint, the app's secret token and credentials.

Everything secret is sealed in the vault under purpose ``zoom``:

* ``webhook-secret`` — the app's webhook *secret token*: verifies deliveries and answers Zoom's
  URL validation. It grants nothing at Zoom; it only proves Zoom to callbridge.
* ``oauth`` — the app credentials given at connect (Server-to-Server OAuth: client id, client
  secret, account id), JSON.
* any other name (access/refresh tokens, once callbridge calls Zoom's API) is a credential too.

The endpoint is a ``webhook_subscriptions`` row (``platform="zoom"``, connection ``zoom``) whose
random ``route_key`` is the last path segment of ``/webhooks/zoom/{route_key}``; Zoom has no
subscription API for us to call, the admin pastes that URL into the app.

**Deauthorisation** (:func:`deauthorize`, on a verified ``app_deauthorized``): every ``zoom``
vault entry except ``webhook-secret`` is deleted at once, the endpoint is marked ``off`` and an
audit entry written, in the transaction that records the notice; the organization's data
(communications, archive, CRM history …) is not touched. The secret token is *kept* on purpose:
without it callbridge could no longer tell a genuine later notice (Zoom's retry, a replay of the
deauthorisation, the 72-hourly re-validation) from a forged one, and would answer them all 401;
it opens nothing at Zoom. It goes with the organization's deletion, or is replaced on reconnect.
A notice naming another Zoom account than the one connected changes nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import SealedSecret, WebhookSubscription
from callbridge.db.session import Database
from callbridge.errors import InvalidInput
from callbridge.platforms.zoom.webhooks import ZoomEvent
from callbridge.privacy.audit import record_audit
from callbridge.privacy.vault import Vault

__all__ = [
    "CONNECTION",
    "OAUTH",
    "PLATFORM",
    "PURPOSE",
    "WEBHOOK_SECRET",
    "Deauthorization",
    "ZoomEndpoint",
    "connect_zoom",
    "deauthorize",
    "endpoint_address",
]

PLATFORM = "zoom"
CONNECTION = "zoom"
PURPOSE = "zoom"
WEBHOOK_SECRET = "webhook-secret"  # noqa: S105 (a vault entry name, not a secret)
OAUTH = "oauth"
MAX_SECRET = 256
PATH = "/webhooks/zoom/{route_key}"


@dataclass(frozen=True)
class ZoomEndpoint:
    """What the admin pastes into the Zoom app: ``address`` (a path when no public URL is set)."""

    id: str
    route_key: str
    address: str
    created: bool
    has_public_url: bool


def endpoint_address(public_url: str | None, route_key: str) -> str:
    path = PATH.format(route_key=route_key)
    return f"{public_url.rstrip('/')}{path}" if public_url else path


def _check_secret(name: str, value: str, option: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"The Zoom {name} is empty.", field=option,
                           hint="copy it from the Zoom app's page (App Credentials / Features)")
    if len(value) > MAX_SECRET or any(c.isspace() for c in value):
        # never echo the value: it is a secret
        raise InvalidInput(
            f"The Zoom {name} given ({len(value)} characters) is not a single token of at most "
            f"{MAX_SECRET} characters.",
            field=option,
            hint="copy the value again from the Zoom app's page, without spaces or line breaks",
        )
    return value


def connect_zoom(
    db: Database,
    vault: Vault,
    clock: Clock,
    organization_id: str,
    *,
    secret_token: str,
    public_url: str | None,
    client_id: str | None = None,
    client_secret: str | None = None,
    account_id: str | None = None,
    actor: str,
) -> ZoomEndpoint:
    """Seal the webhook secret token (and the app credentials, if given) and turn the endpoint on.

    Reconnecting keeps the endpoint's address (so the URL in the Zoom app stays right), replaces
    the secret token and turns an endpoint that a deauthorisation switched off back on.
    """
    secret_token = _check_secret("webhook secret token", secret_token, "--secret-token-env")
    given = {"client_id": client_id, "client_secret": client_secret, "account_id": account_id}
    oauth: dict[str, str] | None = None
    if any(given.values()):
        missing = [k for k, v in given.items() if not (v or "").strip()]
        if missing:
            raise InvalidInput(
                f"Server-to-Server OAuth needs client id, client secret and account id; "
                f"missing: {', '.join(missing)}.",
                field=missing[0],
                hint="give all three (--client-id, --client-secret-env, --account-id) or none",
            )
        oauth = {
            "client_id": _check_secret("client id", client_id or "", "--client-id"),
            "client_secret": _check_secret("client secret", client_secret or "", "--client-secret-env"),
            "account_id": _check_secret("account id", account_id or "", "--account-id"),
        }
    now = clock.now()
    with db.tenant(organization_id) as session:
        row = session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.platform == PLATFORM, WebhookSubscription.connection == CONNECTION
            )
        ).first()
        created = row is None
        if row is None:
            route_key = secrets.token_urlsafe(24)
            row = WebhookSubscription(
                platform=PLATFORM,
                connection=CONNECTION,
                route_key=route_key,
                address=endpoint_address(public_url, route_key),
                filters=[],
                created_at=now,
            )
            session.add(row)
        was = row.status
        row.status = "active"
        row.address = endpoint_address(public_url, row.route_key)
        row.last_error = None
        row.updated_at = now
        session.flush()
        vault.put(session, PURPOSE, WEBHOOK_SECRET, secret_token)
        if oauth is not None:
            vault.put(session, PURPOSE, OAUTH, json.dumps(oauth, sort_keys=True))
        record_audit(
            session,
            clock,
            actor=actor,
            action="zoom.connected" if created else "zoom.reconnected",
            object_type="webhook_subscription",
            object_id=row.id,
            credentials=[WEBHOOK_SECRET] + ([OAUTH] if oauth else []),
            previous_status=was,
        )
        return ZoomEndpoint(row.id, row.route_key, row.address, created, bool(public_url))


@dataclass(frozen=True)
class Deauthorization:
    """What a verified ``app_deauthorized`` did: ``applied`` False when it was for another account."""

    applied: bool
    deleted: list[str]
    reason: str


def _connected_account(session: Session, vault: Vault) -> str | None:
    if not vault.exists(session, PURPOSE, OAUTH):
        return None
    try:
        stored: dict[str, Any] = json.loads(vault.get_text(session, PURPOSE, OAUTH))
    except ValueError:
        return None
    account = stored.get("account_id")
    return str(account) if account else None


def deauthorize(
    session: Session, vault: Vault, clock: Clock, endpoint: WebhookSubscription, event: ZoomEvent
) -> Deauthorization:
    """Delete the organization's Zoom credentials now, switch the endpoint off, audit it."""
    connected = _connected_account(session, vault)
    if connected is not None and event.account_id is not None and event.account_id != connected:
        return Deauthorization(
            False, [], "app_deauthorized for another Zoom account than the one connected: credentials kept"
        )
    names = sorted(
        session.scalars(
            select(SealedSecret.name).where(
                SealedSecret.purpose == PURPOSE, SealedSecret.name != WEBHOOK_SECRET
            )
        )
    )
    for name in names:
        vault.delete(session, PURPOSE, name)
    now = clock.now()
    endpoint.status = "off"
    endpoint.last_error = (
        "Zoom deauthorized the app (app_deauthorized); its credentials were deleted. "
        "Reinstall the app and run 'callbridge connect zoom' to turn this endpoint on again."
    )
    endpoint.updated_at = now
    record_audit(
        session,
        clock,
        actor="platform:zoom",
        action="zoom.deauthorized",
        object_type="webhook_subscription",
        object_id=endpoint.id,
        deleted_credentials=names,
        kept=[WEBHOOK_SECRET],
        data="kept",
    )
    return Deauthorization(True, names, f"app deauthorized: {len(names)} Zoom credential(s) deleted")
