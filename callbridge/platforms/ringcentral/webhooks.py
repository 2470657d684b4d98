"""RingCentral webhook deliveries: verification, parsing, classification and dedupe keys.

RingCentral signs nothing (Decision 5): each delivery carries the subscription's verification
token in ``Verification-Token`` (some guide pages say ``Validation-Token``; both are accepted),
compared in constant time. The handshake on subscription creation is a POST with a
``Validation-Token`` header and no body, answered 200 echoing the header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callbridge.errors import CallbridgeError, InvalidInput
from callbridge.platforms.base import Delivery

__all__ = [
    "EVENT_TYPES",
    "Envelope",
    "MalformedDelivery",
    "VerificationFailed",
    "classify",
    "is_handshake",
    "mask_ids",
    "parse_envelope",
    "verify_delivery",
]

# what the inbox and the normaliser know how to handle
EVENT_TYPES = ("telephony", "message-store", "instant-sms", "fax", "voicemail")


class MalformedDelivery(InvalidInput):
    """The body is not a RingCentral notification envelope (answered 400, nothing stored)."""


class VerificationFailed(CallbridgeError):
    """The delivery's verification token is missing or wrong (answered 401/403, nothing stored)."""

    code = "forbidden"
    http_status = 403


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def is_handshake(delivery: Delivery) -> str | None:
    """The ``Validation-Token`` to echo when ``delivery`` is the subscription handshake."""
    token = _header(delivery.headers, "Validation-Token")
    return token if token is not None and not delivery.body.strip() else None


def verify_delivery(delivery: Delivery, verification_token: str) -> None:
    """Raise :class:`VerificationFailed` unless the delivery carries ``verification_token``."""
    given = _header(delivery.headers, "Verification-Token")
    if given is None:
        given = _header(delivery.headers, "Validation-Token")
    if given is None:
        error = VerificationFailed(
            "The delivery has no Verification-Token header.",
            field="Verification-Token",
            hint="recreate the subscription with 'callbridge webhooks subscribe' so it carries the token",
        )
        error.http_status = 401
        raise error
    if not hmac.compare_digest(given.encode(), verification_token.encode()):
        raise VerificationFailed(
            "The delivery's Verification-Token does not match this subscription's.",
            field="Verification-Token",
            hint="a delivery not sent by RingCentral for this subscription, or an old subscription",
        )


def classify(event: str) -> str | None:
    """The event type of an event filter path, or None when callbridge does not handle it."""
    path = event.split("?", 1)[0].rstrip("/")
    if path.endswith("/telephony/sessions"):
        return "telephony"
    if path.endswith("/message-store/instant"):
        return "instant-sms"
    if path.endswith("/message-store"):
        return "message-store"
    if path.endswith("/fax"):
        return "fax"
    if path.endswith("/voicemail"):
        return "voicemail"
    return None


_IDS = re.compile(r"/(account|extension)/(\d+)")


def mask_ids(event: str) -> str:
    """The event path with account/extension ids replaced by ``~`` (no real ids in the inbox)."""
    return _IDS.sub(lambda m: f"/{m.group(1)}/~", event)[:300]


@dataclass(frozen=True)
class Envelope:
    """A parsed notification: ``{uuid, event, timestamp, subscriptionId, ownerId, body}``."""

    uuid: str
    event: str
    event_type: str | None
    subscription_id: str | None
    owner_id: str | None
    body: dict[str, Any]

    @property
    def dedupe_key(self) -> str:
        """Telephony: session + sequence (copies from two subscriptions collapse); else the uuid."""
        if self.event_type == "telephony":
            session = self.body.get("telephonySessionId")
            sequence = self.body.get("sequence")
            if session and sequence is not None:
                return f"ts:{session}:{sequence}"[:200]
        return f"uuid:{self.uuid}"[:200]


def parse_envelope(raw: bytes) -> Envelope:
    """Parse a delivery body; :class:`MalformedDelivery` names what is wrong."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(
            f"The delivery body is not JSON ({exc.__class__.__name__}: {exc}).",
            field="body",
            hint="RingCentral sends application/json notification envelopes",
        ) from None
    if not isinstance(data, dict):
        raise MalformedDelivery("The delivery body is not a JSON object.", field="body")
    event = data.get("event")
    body = data.get("body")
    if not isinstance(event, str) or not event:
        raise MalformedDelivery("The delivery has no 'event' path.", field="event")
    if not isinstance(body, dict):
        raise MalformedDelivery("The delivery has no 'body' object.", field="body")
    uuid = data.get("uuid")
    if not isinstance(uuid, str | int) or str(uuid) == "":
        uuid = "sha256:" + hashlib.sha256(raw).hexdigest()
    sub = data.get("subscriptionId")
    owner = data.get("ownerId")
    return Envelope(
        uuid=str(uuid),
        event=event,
        event_type=classify(event),
        subscription_id=str(sub) if sub is not None else None,
        owner_id=str(owner) if owner is not None else None,
        body=body,
    )
