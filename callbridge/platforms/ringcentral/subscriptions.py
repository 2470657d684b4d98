"""Webhook subscriptions (§6): create with a verification token, read, renew, delete.

Creating one makes RingCentral POST the handshake to ``address`` first; the receiver must
already know the route (its row and token committed) when this is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callbridge.platforms.ringcentral.client import API, RingCentralClient
from callbridge.platforms.ringcentral.normalise import parse_time

__all__ = [
    "EVENT_FILTERS",
    "SubscriptionInfo",
    "create_subscription",
    "delete_subscription",
    "read_subscription",
    "renew_subscription",
]

# account-wide telephony sessions; the message store of the authorised extension (change
# notices, plus whole inbound SMS through the instant filter)
EVENT_FILTERS = (
    "/restapi/v1.0/account/~/telephony/sessions",
    "/restapi/v1.0/account/~/extension/~/message-store",
    "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS",
)


@dataclass(frozen=True)
class SubscriptionInfo:
    id: str
    status: str  # Active | Blacklisted
    expires_at: datetime | None
    filters: list[str]

    @property
    def usable(self) -> bool:
        return self.status == "Active"


def _info(data: dict[str, Any]) -> SubscriptionInfo:
    return SubscriptionInfo(
        id=str(data.get("id") or ""),
        status=str(data.get("status") or "Active"),
        expires_at=parse_time(data.get("expirationTime")),
        filters=[str(f) for f in data.get("eventFilters") or []],
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


async def renew_subscription(client: RingCentralClient, subscription_id: str) -> SubscriptionInfo:
    path = f"{API}/subscription/{subscription_id}/renew"
    return _info(await _send(client, "POST", path, "renewing the webhook subscription"))


async def delete_subscription(client: RingCentralClient, subscription_id: str) -> None:
    await _send(
        client, "DELETE", f"{API}/subscription/{subscription_id}", "deleting the webhook subscription"
    )
