"""Webhook subscriptions (§6): create with a verification token, read, update, renew, delete.

Creating one makes RingCentral POST the handshake to ``address`` first; the receiver must
already know the route (its row and token committed) when this is called.

Filters: account-wide telephony sessions, plus the message store (change notices) and instant
inbound SMS of every extension that can have messages (:func:`message_filters`, one pair per
extension, by real extension id). Before the extension directory is known the ``~`` form
(:data:`EVENT_FILTERS`) covers the authorised extension only. The reference states no cap on
filters per subscription; :data:`MAX_FILTERS` is a guard (unverified figure): extensions beyond
it get no filter and reach callbridge through the catch-up sync only. Real ids never leave this
module's callers unmasked: :func:`masked` is what gets stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callbridge.platforms.ringcentral.client import API, RingCentralClient
from callbridge.platforms.ringcentral.normalise import parse_time

__all__ = [
    "ACCOUNT_FILTERS",
    "EVENT_FILTERS",
    "MAX_FILTERS",
    "SubscriptionInfo",
    "create_subscription",
    "delete_subscription",
    "event_extension",
    "event_filters",
    "filtered_extensions",
    "masked",
    "message_filters",
    "read_subscription",
    "renew_subscription",
    "update_subscription",
]

# account-wide telephony sessions; the message store of the authorised extension (change
# notices, plus whole inbound SMS through the instant filter)
EVENT_FILTERS = (
    "/restapi/v1.0/account/~/telephony/sessions",
    "/restapi/v1.0/account/~/extension/~/message-store",
    "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
)
ACCOUNT_FILTERS = (EVENT_FILTERS[0],)  # what every subscription carries besides message stores
# A guard, not a documented figure: the reference names no per-subscription filter cap (only 30
# subscriptions per user and app). Extensions past it are left to the catch-up sync.
MAX_FILTERS = 1000
_EXTENSION = re.compile(r"/extension/(\d+)(?=/|$)")
_IDS = re.compile(r"/(account|extension)/(\d+)")


def message_filters(extension_id: str) -> tuple[str, str]:
    """The message-store change notices and the instant inbound SMS of one extension."""
    base = f"/restapi/v1.0/account/~/extension/{extension_id}/message-store"
    return base, f"{base}/instant?type=SMS"


def event_filters(extension_ids: Iterable[str]) -> tuple[tuple[str, ...], list[str]]:
    """(filters, extension ids left out by :data:`MAX_FILTERS`); no ids → :data:`EVENT_FILTERS`."""
    ids = list(dict.fromkeys(str(i) for i in extension_ids if str(i).isdigit()))
    if not ids:
        return EVENT_FILTERS, []
    room = max(0, (MAX_FILTERS - len(ACCOUNT_FILTERS)) // 2)
    kept, left = ids[:room], ids[room:]
    return ACCOUNT_FILTERS + tuple(f for i in kept for f in message_filters(i)), left


def event_extension(event: str) -> str | None:
    """The real extension id an event (or filter) path names; None for ``~`` or account paths."""
    found = _EXTENSION.search(event.split("?", 1)[0])
    return found.group(1) if found else None


def filtered_extensions(filters: Iterable[str]) -> set[str]:
    """The extension ids whose message store ``filters`` (as RingCentral echoes them) cover."""
    return {ext for f in filters if "/message-store" in f and (ext := event_extension(f))}


def masked(filters: Iterable[str]) -> list[str]:
    """``filters`` with account/extension ids replaced by ``~``, each once (the stored form)."""
    return list(dict.fromkeys(_IDS.sub(lambda m: f"/{m.group(1)}/~", f) for f in filters))


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    status: str  # Active | Blacklisted
    expires_at: datetime | None
    filters: list[str]
    disabled: int = 0  # filters RingCentral refused (``disabledFilters``), e.g. lacking permission

    @property
    def usable(self) -> bool:
        return self.status == "Active"


def _info(data: dict[str, Any]) -> SubscriptionInfo:
    return SubscriptionInfo(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or "Active"),
        expires_at=parse_time(data.get("expirationTime")),
        filters=[str(f) for f in data.get("eventFilters") or []],
        disabled=len(data.get("disabledFilters") or []),
    )


async def _send(
    client: RingCentralClient, method: str, path: str, what: str, body: Any = None
) -> dict[str, Any]:
    """The transport takes the budget slot, then attaches (or refreshes) the token."""
    return await client.request_json(method, path, what, body=body)


async def create_subscription(
    client: RingCentralClient,
    address: str,
    verification_token: str,
    *,
    filters: tuple[str, ...] = EVENT_FILTERS,
    expires_in: int = 604_800,
) -> SubscriptionInfo:
    body = {
        "eventFilters": list(filters),
        "deliveryMode": {
            "transportType": "WebHook",
            "address": address,
            "verificationToken": verification_token,
        },
        "expiresIn": expires_in,
    }
    return _info(
        await _send(client, "POST", f"{API}/subscription", "creating the webhook subscription", body)
    )


async def read_subscription(client: RingCentralClient, subscription_id: str) -> SubscriptionInfo:
    return _info(
        await client.get_json(f"{API}/subscription/{subscription_id}", "reading the webhook subscription")
    )


async def update_subscription(
    client: RingCentralClient,
    subscription_id: str,
    filters: tuple[str, ...],
    *,
    expires_in: int | None = None,
) -> SubscriptionInfo:
    """Replace the event filters (``PUT``; it renews the subscription too)."""
    body: dict[str, Any] = {"eventFilters": list(filters)}
    if expires_in is not None:
        body["expiresIn"] = expires_in
    path = f"{API}/subscription/{subscription_id}"
    return _info(await _send(client, "PUT", path, "updating the webhook subscription's filters", body))


async def renew_subscription(client: RingCentralClient, subscription_id: str) -> SubscriptionInfo:
    path = f"{API}/subscription/{subscription_id}/renew"
    return _info(await _send(client, "POST", path, "renewing the webhook subscription"))


async def delete_subscription(client: RingCentralClient, subscription_id: str) -> None:
    await _send(
        client, "DELETE", f"{API}/subscription/{subscription_id}", "deleting the webhook subscription"
    )
