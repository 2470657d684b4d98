"""Webhook subscription lifecycle: create, renew before expiry, recreate when lost.

Without ``CALLBRIDGE_PUBLIC_URL`` callbridge runs polling-only: the catch-up sync alone keeps
communications current, one sync period late, at the cost of its call-log reads (Heavy group).

Filters: telephony sessions account-wide, plus the message store and instant SMS of every enabled
directory extension that can have messages (:data:`MESSAGE_TYPES`), rebuilt from the directory's
sealed real ids at each create and upkeep; when the set of extensions differs from the one
RingCentral echoes, the filters are replaced with ``PUT`` (which renews too). The row keeps the
masked ``~`` form only. Before the directory is known the authorised extension's ``~`` filters serve.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.db.models import WebhookSubscription
from callbridge.http.redaction import redact
from callbridge.pipelines.ingest.names import VERIFICATION_PURPOSE
from callbridge.platforms.ringcentral.directory import ZONE_TYPES, entries, open_extension
from callbridge.platforms.ringcentral.errors import NotFound
from callbridge.platforms.ringcentral.factory import RingCentralSession
from callbridge.platforms.ringcentral.subscriptions import (
    EVENT_FILTERS,
    SubscriptionInfo,
    create_subscription,
    event_filters,
    filtered_extensions,
    masked,
    read_subscription,
    renew_subscription,
    update_subscription,
)

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "MESSAGE_TYPES",
    "POLLING_ONLY",
    "SubscriptionState",
    "current_subscription",
    "enable_polling",
    "ensure_subscription",
    "wanted_filters",
]

log = logging.getLogger(__name__)
# extension types that own a message store (the catch-up sync reads the same kinds); only
# ``Enabled`` ones get a filter
MESSAGE_TYPES = ZONE_TYPES

PLATFORM = "ringcentral"
POLLING_ONLY = (
    "CALLBRIDGE_PUBLIC_URL is not set: callbridge runs polling-only. Communications appear one "
    "catch-up period late (ingest_sync_minutes) and every sync spends call-log reads from the "
    "Heavy rate group (10 a minute per user); set the public https URL to turn webhooks on."
)


@dataclass(frozen=True)
class SubscriptionState:
    action: str  # polling-only | ok | renewed | updated | created
    route_key: str | None = None
    subscription_id: str | None = None
    expires_at: datetime | None = None
    message: str = ""


def current_subscription(
    runtime: Runtime, organization_id: str, connection: str
) -> WebhookSubscription | None:
    with runtime.db.tenant(organization_id) as session:
        row = session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.platform == PLATFORM,
                WebhookSubscription.connection == connection,
                WebhookSubscription.status == "active",
            )
            .order_by(WebhookSubscription.created_at.desc())
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def enable_polling(runtime: Runtime, organization_id: str, connection: str = "default") -> None:
    """Turn ingest on without webhooks: a ``polling`` row the sweep finds (no token: no route)."""
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        exists = session.scalars(
            select(WebhookSubscription.id).where(
                WebhookSubscription.platform == PLATFORM, WebhookSubscription.connection == connection
            )
        ).first()
        if exists is None:
            session.add(
                WebhookSubscription(
                    platform=PLATFORM,
                    connection=connection,
                    route_key=secrets.token_urlsafe(24),
                    address="",
                    filters=[],
                    status="polling",
                    created_at=now,
                    updated_at=now,
                )
            )


def wanted_filters(
    runtime: Runtime, organization_id: str, connection: str
) -> tuple[tuple[str, ...], set[str]]:
    """The event filters the directory asks for, and the extension ids they cover (empty: the
    directory is not known yet and the ``~`` form serves)."""
    with runtime.db.tenant(organization_id) as session:
        ids = [open_extension(session, runtime.vault, row).id for row in entries(session, connection)
               if row.extension_type in MESSAGE_TYPES and row.status == "Enabled"]
    filters, left = event_filters(ids)
    if left:
        log.warning("webhook filters: %d extensions past the per-subscription cap reach callbridge through "
                    "the catch-up sync only (ingest_sync_minutes late)", len(left))
    return filters, filtered_extensions(filters) if filters != EVENT_FILTERS else set()


def _stale(info: SubscriptionInfo, covered: set[str]) -> bool:
    """RingCentral's filters cover other extensions than the directory asks for."""
    return bool(covered) and filtered_extensions(info.filters) != covered


def _mark(runtime: Runtime, organization_id: str, row_id: str, **values: object) -> None:
    with runtime.db.tenant(organization_id) as session:
        row = session.get_one(WebhookSubscription, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = runtime.clock.now()


async def ensure_subscription(
    runtime: Runtime, organization_id: str, rc: RingCentralSession, *, connection: str = "default"
) -> SubscriptionState:
    public = runtime.settings.public_url
    if not public:
        enable_polling(runtime, organization_id, connection)
        return SubscriptionState("polling-only", message=POLLING_ONLY)
    now = runtime.clock.now()
    row = current_subscription(runtime, organization_id, connection)
    if row is not None and row.subscription_id:
        try:
            info = await read_subscription(rc.client, row.subscription_id)
        except NotFound:
            info = None
        filters, covered = wanted_filters(runtime, organization_id, connection)
        if info is not None and info.usable and _stale(info, covered):
            try:  # PUT replaces the filters and renews
                info = await update_subscription(rc.client, row.subscription_id, filters,
                                                 expires_in=runtime.settings.webhook_expires_seconds)
            except NotFound:
                info = None
            if info is not None and info.usable:
                _mark(runtime, organization_id, row.id, filters=masked(filters), expires_at=info.expires_at,
                      last_error=None)
                log.info("webhook filters updated: message stores of %d extensions; %d refused by "
                         "RingCentral (left to the catch-up sync)", len(covered), info.disabled)
                return SubscriptionState("updated", row.route_key, row.subscription_id, info.expires_at)
        if info is not None and info.usable:
            renew_at = (info.expires_at or now) - timedelta(hours=runtime.settings.webhook_renew_before_hours)
            if now < renew_at:
                return SubscriptionState("ok", row.route_key, row.subscription_id, info.expires_at)
            try:
                info = await renew_subscription(rc.client, row.subscription_id)
            except NotFound:
                info = None
            if info is not None and info.usable:
                _mark(runtime, organization_id, row.id, expires_at=info.expires_at, last_error=None)
                return SubscriptionState("renewed", row.route_key, row.subscription_id, info.expires_at)
        reason = "blacklisted by RingCentral" if info is not None else "expired or deleted on RingCentral"
        _mark(runtime, organization_id, row.id, status="lost", last_error=f"subscription {reason}; recreated")
    return await _create(runtime, organization_id, rc, connection, public)


async def _create(
    runtime: Runtime, organization_id: str, rc: RingCentralSession, connection: str, public: str
) -> SubscriptionState:
    now = runtime.clock.now()
    route_key = secrets.token_urlsafe(24)
    token = secrets.token_urlsafe(32)
    address = f"{public.rstrip('/')}/webhooks/ringcentral/{route_key}"
    filters, _ = wanted_filters(runtime, organization_id, connection)
    with runtime.db.tenant(organization_id) as session:
        row = WebhookSubscription(
            platform=PLATFORM,
            connection=connection,
            route_key=route_key,
            address=address,
            filters=masked(filters),  # the ``~`` form: no real id stored
            status="pending",
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        runtime.vault.put(session, VERIFICATION_PURPOSE, route_key, token)
        session.flush()
        row_id = row.id
    try:  # RingCentral's handshake reaches the route committed above
        info = await create_subscription(
            rc.client, address, token, filters=filters, expires_in=runtime.settings.webhook_expires_seconds
        )
    except Exception as exc:
        _mark(runtime, organization_id, row_id, status="failed", last_error=redact(str(exc))[:500])
        raise
    _mark(
        runtime, organization_id, row_id, status="active", subscription_id=info.id, expires_at=info.expires_at
    )
    return SubscriptionState("created", route_key, info.id, info.expires_at)
