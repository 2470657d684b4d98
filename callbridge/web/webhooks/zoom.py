"""``POST /webhooks/zoom/{route_key}``: verify a signed Zoom delivery, record it, acknowledge.

Answers, in the order they are decided (every refusal stores nothing and is logged without the
secret token or the body):

* body over ``webhook_max_body_bytes`` → 413 (read no further than the limit);
* no Zoom endpoint at ``route_key`` (or no secret token for it) → 404;
* ``x-zm-signature`` / ``x-zm-request-timestamp`` missing, malformed, or the signature wrong → 401;
* signed, but the timestamp further than ``zoom_webhook_window_seconds`` from the Clock's now,
  either way → 401 ``stale_delivery`` (a replay; 401 rather than 400 because the delivery's
  authenticity as of now is what fails, and Zoom retries no 4xx either way);
* signed, but not JSON / not an envelope → 400;
* ``endpoint.url_validation`` → 200 ``{plainToken, encryptedToken}`` (verified first: unsigned,
  it would be an HMAC oracle that signs any ``v0:{ts}:{body}`` an attacker sends as plainToken);
  nothing stored, so a replay of it gets the same answer and changes nothing;
* a delivery whose signature was seen before → 409 (the replay of a delivery; the signature is
  the identity, see ``platforms.zoom.webhooks``);
* endpoint ``off`` (after a deauthorisation) → 410, except a further ``app_deauthorized``;
* the same Zoom event again under a new signature (Zoom's retry) → 200 ``duplicate``;
* ``app_deauthorized`` → credentials deleted, endpoint off, audited (``platforms.zoom.connection``);
* any other event → stored as ``ignored``: Zoom normalisation is not built yet.

The inbox row's id is derived from the organization and the delivery's signature, so the
primary key itself refuses a replay, also when two copies race.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbridge.db.models import InboxEvent, WebhookSubscription
from callbridge.errors import CallbridgeError, Conflict
from callbridge.platforms.base import Delivery
from callbridge.platforms.zoom.connection import (
    PLATFORM,
    PURPOSE,
    WEBHOOK_SECRET,
    deauthorize,
)
from callbridge.platforms.zoom.webhooks import (
    DEAUTHORIZED,
    URL_VALIDATION,
    ZoomEvent,
    parse_event,
    trace_id,
    url_validation_answer,
    verify_delivery,
)
from callbridge.runtime import Runtime
from callbridge.web.errors import error_response
from callbridge.web.webhooks.common import UnknownRoute, read_limited

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])
NOT_BUILT = "zoom normalisation not built yet"
RECONNECT = "reinstall the Zoom app and run 'callbridge connect zoom' to turn the endpoint on again"


class AlreadySeen(Conflict):
    """This very delivery (same signature) was accepted before: a replay."""

    code = "replayed_delivery"


class EndpointOff(CallbridgeError):
    code = "endpoint_off"
    http_status = 410


@dataclass(frozen=True)
class Endpoint:
    id: str
    organization_id: str
    status: str


@dataclass(frozen=True)
class Outcome:
    status: str  # stored | ignored | duplicate | deauthorized
    inbox_id: str | None = None


def _endpoint(runtime: Runtime, route_key: str) -> tuple[Endpoint, str]:
    with runtime.db.system("webhook routing: zoom route key") as session:
        row = session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.route_key == route_key, WebhookSubscription.platform == PLATFORM
            )
        ).first()
        found = None if row is None else Endpoint(row.id, row.organization_id, row.status)
    if found is None:
        raise UnknownRoute(
            "No Zoom webhook endpoint at this address.",
            field="route_key",
            hint="'callbridge connect zoom' prints the endpoint URL to paste into the Zoom app",
        )
    with runtime.db.tenant(found.organization_id) as session:
        if not runtime.vault.exists(session, PURPOSE, WEBHOOK_SECRET):
            raise UnknownRoute("This Zoom endpoint has no webhook secret token.", field="route_key",
                               hint="run 'callbridge connect zoom --secret-token-env VAR' again")
        return found, runtime.vault.get_text(session, PURPOSE, WEBHOOK_SECRET)


def delivery_row_id(organization_id: str, signature: str) -> str:
    """The inbox id a delivery gets: one per organization and signature (a replay collides)."""
    return hashlib.sha256(f"zoom-delivery\0{organization_id}\0{signature}".encode()).hexdigest()[:32]


Handler = Callable[[Runtime, Session, WebhookSubscription, ZoomEvent], tuple[str, str]]


def _deauthorized(runtime: Runtime, session: Session, endpoint: WebhookSubscription, event: ZoomEvent
                  ) -> tuple[str, str]:
    done = deauthorize(session, runtime.vault, runtime.clock, endpoint, event)
    return ("done" if done.applied else "ignored"), done.reason


def _not_built(runtime: Runtime, session: Session, endpoint: WebhookSubscription, event: ZoomEvent
               ) -> tuple[str, str]:
    return "ignored", NOT_BUILT


# event → handler, declared once; every other event is recorded as ignored (NOT_BUILT)
HANDLERS: dict[str, Handler] = {DEAUTHORIZED: _deauthorized}


def _record(runtime: Runtime, endpoint: Endpoint, delivery: Delivery, signature: str, event: ZoomEvent
            ) -> Outcome:
    org_id = endpoint.organization_id
    row_id = delivery_row_id(org_id, signature)
    now = runtime.clock.now()
    with runtime.db.tenant(org_id) as session:
        if session.scalars(select(InboxEvent.id).where(InboxEvent.id == row_id)).first() is not None:
            raise _seen()
        sub = session.get_one(WebhookSubscription, endpoint.id)
        if sub.status == "off" and event.name != DEAUTHORIZED:
            raise EndpointOff(
                "This Zoom endpoint is off: Zoom deauthorized the app and its credentials were deleted.",
                field="route_key",
                hint=RECONNECT,
            )
        key = event.dedupe_key
        existing = session.scalars(select(InboxEvent.id).where(InboxEvent.dedupe_key == key)).first()
        if existing is not None:
            session.execute(
                update(InboxEvent)
                .where(InboxEvent.id == existing)
                .values(duplicates=InboxEvent.duplicates + 1)
                .execution_options(synchronize_session=False)
            )
            return Outcome("duplicate", existing)
        status, reason = HANDLERS.get(event.name, _not_built)(runtime, session, sub, event)
        session.add(
            InboxEvent(
                id=row_id,
                platform=PLATFORM,
                dedupe_key=key,
                event_type=event.category,
                event_path=event.name[:300],
                status=status,
                reason=reason[:500],
                body=None,  # nothing will normalise it: the raw body (personal data) is not kept
                body_bytes=len(delivery.body),
                duplicates=0,
                received_at=now,
                processed_at=now,
            )
        )
        session.flush()
    if event.name == DEAUTHORIZED:
        return Outcome("deauthorized" if status == "done" else "ignored", row_id)
    return Outcome(status, row_id)


def _seen() -> AlreadySeen:
    return AlreadySeen(
        "This delivery (same x-zm-signature) was received before: refused as a replay.",
        field="x-zm-signature",
        hint="Zoom signs every delivery anew; a copy of an earlier one is not accepted twice",
    )


def _handle(runtime: Runtime, route_key: str, delivery: Delivery) -> dict[str, Any]:
    endpoint, secret = _endpoint(runtime, route_key)
    window = timedelta(seconds=runtime.settings.zoom_webhook_window_seconds)
    verified = verify_delivery(delivery, secret, now=runtime.clock.now(), window=window)
    event = parse_event(delivery.body)
    if event.name == URL_VALIDATION:
        if endpoint.status == "off":
            raise EndpointOff("This Zoom endpoint is off since Zoom deauthorized the app.",
                              field="route_key", hint=RECONNECT)
        return url_validation_answer(secret, event)
    try:
        outcome = _record(runtime, endpoint, delivery, verified.signature, event)
    except IntegrityError:
        # two copies at once: the same delivery (primary key) is a replay, another copy a duplicate
        row_id = delivery_row_id(endpoint.organization_id, verified.signature)
        with runtime.db.tenant(endpoint.organization_id) as session:
            if session.scalars(select(InboxEvent.id).where(InboxEvent.id == row_id)).first() is not None:
                raise _seen() from None
        outcome = Outcome("duplicate")
    log.info("zoom webhook %s: %s (trace %s)", event.name[:80], outcome.status, trace_id(delivery) or "-")
    return {"status": outcome.status}


@router.post("/webhooks/zoom/{route_key}", include_in_schema=True, summary="Zoom webhook")
async def receive(route_key: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        body = await read_limited(request, runtime.settings.webhook_max_body_bytes, "Zoom")
        delivery = Delivery(dict(request.headers), body)
        answer = await run_in_threadpool(_handle, runtime, route_key, delivery)
    except CallbridgeError as exc:
        # the route key is a capability: log only its start; never the body or the secret
        log.warning(
            "zoom webhook refused (%d %s) at route %s…: %s",
            exc.http_status, exc.code, route_key[:6], exc.message,
        )
        return error_response(exc.http_status, exc.code, exc.message, field=exc.field, hint=exc.hint)
    return JSONResponse(answer, status_code=200)
