"""``POST /webhooks/ringcentral/{route_key}``: store the raw event durably, then acknowledge.

* handshake (``Validation-Token``, no body) → 200 echoing the header;
* body over ``webhook_max_body_bytes`` → 413; not JSON / not an envelope → 400;
* missing or wrong ``Verification-Token`` → 401 / 403 — nothing stored in any of these cases;
* a duplicate or late delivery → 2xx and deduplicated (never refused: RingCentral blacklists a
  subscription whose deliveries fail for minutes);
* an event type callbridge does not handle → stored as ``ignored`` with the reason, 2xx.

The inbox row and its normalise job commit in one transaction: a 2xx means both are durable.
``route_key`` is a random per-subscription path segment, resolved through the system scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from callbridge.db.models import InboxEvent, WebhookSubscription
from callbridge.errors import CallbridgeError
from callbridge.jobs.queue import enqueue
from callbridge.pipelines.ingest.names import NORMALISE, VERIFICATION_PURPOSE, normalise_key
from callbridge.platforms.base import Delivery
from callbridge.platforms.ringcentral.webhooks import (
    MalformedDelivery,
    is_handshake,
    mask_ids,
    parse_envelope,
    verify_delivery,
)
from callbridge.runtime import Runtime
from callbridge.web.errors import error_response
from callbridge.web.webhooks.common import UnknownRoute, read_limited

__all__ = ["router"]

router = APIRouter(tags=["webhooks"])
PLATFORM = "ringcentral"
WAKE_COALESCE_SECONDS = 0.2  # one bell per burst of deliveries; workers also poll every tick


@dataclass(frozen=True)
class Accepted:
    inbox_id: str
    duplicate: bool
    ignored: bool
    job_id: str | None


def _route(runtime: Runtime, route_key: str) -> str:
    with runtime.db.system("webhook routing: ringcentral route key") as session:
        org_id = session.scalars(
            select(WebhookSubscription.organization_id).where(
                WebhookSubscription.route_key == route_key, WebhookSubscription.platform == PLATFORM
            )
        ).first()
    if org_id is None:
        raise UnknownRoute(
            "No RingCentral webhook subscription at this address.",
            field="route_key",
            hint="the subscription was deleted; 'callbridge webhooks subscribe' creates a new one",
        )
    return org_id


def _token(runtime: Runtime, org_id: str, route_key: str) -> str:
    with runtime.db.tenant(org_id) as session:
        if not runtime.vault.exists(session, VERIFICATION_PURPOSE, route_key):
            raise UnknownRoute("This webhook subscription has no verification token.", field="route_key")
        return runtime.vault.get_text(session, VERIFICATION_PURPOSE, route_key)


def _handshake(runtime: Runtime, route_key: str, delivery: Delivery) -> None:
    org_id = _route(runtime, route_key)
    headers = {k.lower() for k in delivery.headers}
    if "verification-token" in headers:
        verify_delivery(delivery, _token(runtime, org_id, route_key))


# route key → (organization, token, cached at): a route's token never changes (a new
# subscription gets a new route), so a short cache saves two transactions per delivery
_ROUTES: dict[tuple[int, str], tuple[str, str, datetime]] = {}
ROUTE_CACHE_TTL = timedelta(seconds=60)
ROUTE_CACHE_SIZE = 1024


def _route_and_token(runtime: Runtime, route_key: str) -> tuple[str, str]:
    now = runtime.clock.now()
    cached = _ROUTES.get((id(runtime), route_key))
    if cached is not None and now - cached[2] < ROUTE_CACHE_TTL:
        return cached[0], cached[1]
    org_id = _route(runtime, route_key)
    token = _token(runtime, org_id, route_key)
    if len(_ROUTES) >= ROUTE_CACHE_SIZE:
        _ROUTES.clear()
    _ROUTES[(id(runtime), route_key)] = (org_id, token, now)
    return org_id, token


def _duplicate(runtime: Runtime, org_id: str, key: str) -> Accepted:
    """Count a delivery whose event is stored already (a retry, or two copies at once)."""
    with runtime.db.tenant(org_id) as session:
        existing = session.scalars(select(InboxEvent.id).where(InboxEvent.dedupe_key == key)).first()
        if existing is not None:
            session.execute(
                update(InboxEvent)
                .where(InboxEvent.id == existing)
                .values(duplicates=InboxEvent.duplicates + 1)
                .execution_options(synchronize_session=False)
            )
    return Accepted(existing or "", duplicate=True, ignored=False, job_id=None)


def _accept(runtime: Runtime, route_key: str, delivery: Delivery) -> Accepted:
    org_id, token = _route_and_token(runtime, route_key)
    verify_delivery(delivery, token)
    envelope = parse_envelope(delivery.body)
    now = runtime.clock.now()
    key = envelope.dedupe_key
    ignored = envelope.event_type is None
    try:  # a new event is the common case: insert first, and let the unique key find duplicates
        with runtime.db.tenant(org_id) as session:
            row = InboxEvent(
                platform=PLATFORM,
                dedupe_key=key,
                event_type=envelope.event_type or "unknown",
                event_path=mask_ids(envelope.event),
                status="ignored" if ignored else "pending",
                reason=(
                    f"callbridge does not handle RingCentral events of {mask_ids(envelope.event)!r}; "
                    "stored and ignored (subscribe to telephony sessions and the message store)"
                )
                if ignored
                else None,
                body=None if ignored else delivery.body.decode("utf-8"),
                body_bytes=len(delivery.body),
                duplicates=0,
                received_at=now,
                processed_at=now if ignored else None,
            )
            session.add(row)
            session.flush()
            job_id = None
            if not ignored:
                job, _ = enqueue(
                    session,
                    runtime.clock,
                    NORMALISE,
                    {"inbox_id": row.id},
                    key=normalise_key(row.id),
                    max_attempts=runtime.settings.job_max_attempts,
                    new_key=True,  # the inbox row was inserted just above
                )
                job_id = job.id
            accepted = Accepted(row.id, duplicate=False, ignored=ignored, job_id=job_id)
    except IntegrityError:
        return _duplicate(runtime, org_id, key)
    if accepted.job_id is not None:
        runtime.broker.wake(accepted.job_id, coalesce_seconds=WAKE_COALESCE_SECONDS)
    return accepted


@router.post("/webhooks/ringcentral/{route_key}", include_in_schema=True, summary="RingCentral webhook")
async def receive(route_key: str, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        body = await read_limited(request, runtime.settings.webhook_max_body_bytes, "RingCentral")
        delivery = Delivery(dict(request.headers), body)
        echo = is_handshake(delivery)
        if echo is not None:
            await run_in_threadpool(_handshake, runtime, route_key, delivery)
            return Response(
                status_code=200, headers={"Validation-Token": echo, "Content-Type": "application/json"}
            )
        accepted = await run_in_threadpool(_accept, runtime, route_key, delivery)
    except MalformedDelivery as exc:
        return error_response(400, "bad_request", exc.message, field=exc.field, hint=exc.hint)
    except CallbridgeError as exc:
        return error_response(exc.http_status, exc.code, exc.message, field=exc.field, hint=exc.hint)
    status = "duplicate" if accepted.duplicate else "ignored" if accepted.ignored else "stored"
    return JSONResponse({"status": status}, status_code=200)
