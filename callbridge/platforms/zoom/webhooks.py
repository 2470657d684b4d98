"""Zoom webhook deliveries: signature, timestamp window, parsing, and the URL-validation answer.

Zoom signs every delivery, the ``endpoint.url_validation`` challenge included (reference
"Webhooks"; DESIGN Decision 5)::

    x-zm-signature = "v0=" + hex(HMAC-SHA256(secret_token, "v0:{x-zm-request-timestamp}:{raw body}"))

:func:`verify_delivery` checks, in this order: both headers present and well formed, the
signature (over the raw bytes, in constant time), then the timestamp (Unix seconds) within
``window`` of the Clock's now, in both directions. Every failure is a
:class:`VerificationFailed` (HTTP 401). The body is parsed only after the signature holds.

A delivery's identity is its signature: it covers the timestamp and the body, so a replay of a
captured delivery carries the same one, whatever the replayer does to the *unsigned* trace-id
headers (``x-zm-request-id`` / ``x-zm-trackingid``), which are kept for the logs only.

Error tree::

    VerificationFailed (401)     missing/malformed header, wrong signature
    └── StaleDelivery (401)      signed, but the timestamp is outside the window (a replay)
    MalformedDelivery (400)      signed, but not a Zoom event envelope
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from callbridge.errors import CallbridgeError, InvalidInput
from callbridge.platforms.base import Delivery

__all__ = [
    "DEAUTHORIZED",
    "MAX_PLAIN_TOKEN",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "TRACE_HEADERS",
    "URL_VALIDATION",
    "MalformedDelivery",
    "StaleDelivery",
    "VerificationFailed",
    "Verified",
    "ZoomEvent",
    "encrypt_token",
    "parse_event",
    "sign",
    "trace_id",
    "url_validation_answer",
    "verify_delivery",
]

SIGNATURE_HEADER = "x-zm-signature"
TIMESTAMP_HEADER = "x-zm-request-timestamp"
TRACE_HEADERS = ("x-zm-request-id", "x-zm-trackingid")
URL_VALIDATION = "endpoint.url_validation"
DEAUTHORIZED = "app_deauthorized"
MAX_PLAIN_TOKEN = 512  # Zoom's are 22 characters; anything far longer is not a challenge
SETUP_HINT = (
    "give callbridge the app's webhook secret token with 'callbridge connect zoom --secret-token-env VAR'"
)


class VerificationFailed(CallbridgeError):
    """The delivery is not signed with this endpoint's secret token (401, nothing stored)."""

    code = "unauthenticated"
    http_status = 401


class StaleDelivery(VerificationFailed):
    """Signed, but sent outside the timestamp window: refused as a replay (401, nothing stored)."""

    code = "stale_delivery"


class MalformedDelivery(InvalidInput):
    """Signed, but the body is not a Zoom event envelope (400, nothing stored)."""

    code = "bad_request"
    http_status = 400


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def sign(secret_token: str, timestamp: str, body: bytes) -> str:
    """``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}`` (Zoom's ``x-zm-signature``)."""
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret_token.encode(), message, hashlib.sha256).hexdigest()


def encrypt_token(secret_token: str, plain_token: str) -> str:
    """The URL-validation ``encryptedToken``: hex HMAC-SHA256 of ``plainToken``."""
    return hmac.new(secret_token.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def trace_id(delivery: Delivery) -> str | None:
    """Zoom's trace id of the delivery (unsigned: for logs, never for decisions)."""
    for name in TRACE_HEADERS:
        value = _header(delivery.headers, name)
        if value:
            return value[:100]
    return None


@dataclass(frozen=True)
class Verified:
    """A delivery whose signature and timestamp hold; ``signature`` is its identity."""

    signature: str
    sent_at: datetime


def verify_delivery(delivery: Delivery, secret_token: str, *, now: datetime, window: timedelta) -> Verified:
    """Raise :class:`VerificationFailed` unless Zoom signed ``delivery`` with ``secret_token``
    no more than ``window`` before or after ``now``."""
    given = _header(delivery.headers, SIGNATURE_HEADER)
    stamp = _header(delivery.headers, TIMESTAMP_HEADER)
    for name, value in ((SIGNATURE_HEADER, given), (TIMESTAMP_HEADER, stamp)):
        if not value:
            raise VerificationFailed(
                f"The delivery has no {name} header: Zoom signs every delivery.",
                field=name,
                hint="only Zoom (with the app's secret token) can deliver here; " + SETUP_HINT,
            )
    assert given is not None and stamp is not None
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 11:
        raise VerificationFailed(
            f"{TIMESTAMP_HEADER}={stamp[:40]!r} is not a Unix time in seconds.",
            field=TIMESTAMP_HEADER,
            hint="Zoom sends the seconds since 1970 of the moment it signed the delivery",
        )
    expected = sign(secret_token, stamp, delivery.body)
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode()):
        raise VerificationFailed(
            f"The delivery's {SIGNATURE_HEADER} does not match its timestamp and body under this "
            "endpoint's secret token.",
            field=SIGNATURE_HEADER,
            hint="not sent by Zoom for this app, altered on the way, or the app's secret token changed: "
            + SETUP_HINT,
        )
    sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    drift = (now - sent_at).total_seconds()
    if abs(drift) > window.total_seconds():
        when = "old" if drift > 0 else "ahead of callbridge's clock"
        raise StaleDelivery(
            f"The delivery was signed at {sent_at.isoformat()} ({TIMESTAMP_HEADER}={stamp}), "
            f"{abs(drift):.0f} s {when}; deliveries outside {window.total_seconds():.0f} s of now "
            "are refused as replays.",
            field=TIMESTAMP_HEADER,
            hint="if genuine deliveries are refused, check this server's clock (NTP) or raise "
            "CALLBRIDGE_ZOOM_WEBHOOK_WINDOW_SECONDS",
        )
    return Verified(signature=given, sent_at=sent_at)


@dataclass(frozen=True)
class ZoomEvent:
    """``{"event", "event_ts", "payload"}``; ``app_deauthorized`` may carry ``event_ts`` inside
    its flat payload (Zoom's own example does, as a string)."""

    name: str
    event_ts: str | None
    payload: dict[str, Any]

    @property
    def category(self) -> str:
        """What precedes the first dot (``phone``, ``recording``, ``app_deauthorized`` …)."""
        return self.name.split(".", 1)[0][:32]

    @property
    def account_id(self) -> str | None:
        value = self.payload.get("account_id")
        return str(value) if isinstance(value, str | int) and str(value) else None

    @property
    def dedupe_key(self) -> str:
        """Event name, event time and a digest of the payload: one Zoom event, however often sent.

        The digest (canonical JSON, sorted keys) stands for the payload's object ids whatever
        the event's shape; no id of a person appears in the key.
        """
        canonical = json.dumps(self.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:40]
        return f"{self.name[:80]}:{(self.event_ts or '-')[:32]}:{digest}"

    @property
    def plain_token(self) -> str:
        """The URL-validation challenge; :class:`MalformedDelivery` unless a short string."""
        token = self.payload.get("plainToken")
        if not isinstance(token, str) or not token or len(token) > MAX_PLAIN_TOKEN:
            raise MalformedDelivery(
                f"The {URL_VALIDATION} challenge has no usable payload.plainToken "
                f"(a string of 1 to {MAX_PLAIN_TOKEN} characters).",
                field="payload.plainToken",
                hint="Zoom sends {'payload': {'plainToken': …}, 'event': 'endpoint.url_validation'}",
            )
        return token


def parse_event(raw: bytes) -> ZoomEvent:
    """Parse a (verified) delivery body; :class:`MalformedDelivery` names what is wrong."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedDelivery(
            f"The delivery body is not JSON ({exc.__class__.__name__} at position "
            f"{getattr(exc, 'pos', getattr(exc, 'start', '?'))}).",
            field="body",
            hint="Zoom sends application/json event envelopes",
        ) from None
    if not isinstance(data, dict):
        raise MalformedDelivery(
            f"The delivery body is a JSON {type(data).__name__}, not an object.", field="body"
        )
    name = data.get("event")
    payload = data.get("payload")
    if not isinstance(name, str) or not name.strip():
        raise MalformedDelivery("The delivery has no 'event' name.", field="event",
                                hint="a Zoom envelope is {'event': …, 'event_ts': …, 'payload': {…}}")
    if not isinstance(payload, dict):
        raise MalformedDelivery(f"The {name[:80]!r} delivery has no 'payload' object.", field="payload",
                                hint="a Zoom envelope is {'event': …, 'event_ts': …, 'payload': {…}}")
    stamp = data.get("event_ts", payload.get("event_ts"))
    event_ts = str(stamp) if isinstance(stamp, str | int) and not isinstance(stamp, bool) else None
    return ZoomEvent(name=name.strip(), event_ts=event_ts, payload=payload)


def url_validation_answer(secret_token: str, event: ZoomEvent) -> dict[str, str]:
    """``{"plainToken": …, "encryptedToken": hex(HMAC-SHA256(secret_token, plainToken))}``."""
    plain = event.plain_token
    return {"plainToken": plain, "encryptedToken": encrypt_token(secret_token, plain)}
