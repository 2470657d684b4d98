"""Helpers for ingest tests: a webhook route without a platform, and sandbox ↔ callbridge wiring."""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from callbridge.db.models import CommunicationRow, InboxEvent, Job, WebhookSubscription
from callbridge.pipelines.ingest.codec import decode
from callbridge.pipelines.ingest.names import VERIFICATION_PURPOSE
from callbridge.runtime import Runtime


def make_route(runtime: Runtime, org_id: str, token: str = "verify-me") -> str:
    """A webhook route (what a created subscription leaves behind), without calling a platform."""
    route_key = secrets.token_urlsafe(24)
    now = runtime.clock.now()
    with runtime.db.tenant(org_id) as session:
        session.add(
            WebhookSubscription(
                platform="ringcentral",
                connection="default",
                route_key=route_key,
                address=f"http://callbridge.test/webhooks/ringcentral/{route_key}",
                filters=[],
                status="active",
                created_at=now,
                updated_at=now,
            )
        )
        runtime.vault.put(session, VERIFICATION_PURPOSE, route_key, token)
    return route_key


def envelope(body: dict[str, Any], *, event: str, uuid: str | None = None, owner: str = "1001") -> bytes:
    return json.dumps(
        {
            "uuid": uuid or secrets.token_hex(8),
            "event": event,
            "timestamp": "2026-03-02T15:00:00.000Z",
            "subscriptionId": "sub-1",
            "ownerId": owner,
            "body": body,
        }
    ).encode()


TELEPHONY = "/restapi/v1.0/account/111/telephony/sessions"


def count(runtime: Runtime, org_id: str, model: Any, *where: Any) -> int:
    with runtime.db.tenant(org_id) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def inbox(runtime: Runtime, org_id: str) -> list[InboxEvent]:
    with runtime.db.tenant(org_id) as session:
        rows = list(session.scalars(select(InboxEvent).order_by(InboxEvent.received_at)))
        session.expunge_all()
        return rows


def communications(runtime: Runtime, org_id: str) -> dict[str, Any]:
    with runtime.db.tenant(org_id) as session:
        return {row.key: decode(row.data) for row in session.scalars(select(CommunicationRow))}


def jobs(runtime: Runtime, org_id: str, kind: str) -> list[Job]:
    with runtime.db.tenant(org_id) as session:
        rows = list(session.scalars(select(Job).where(Job.kind == kind)))
        session.expunge_all()
        return rows


def pump(app: FastAPI) -> list[Any]:
    return asyncio.run(app.state.sandbox.webhooks.pump())


def post(client: httpx.AsyncClient | Any, path: str, body: dict[str, Any]) -> dict[str, Any]:
    return client.post(path, json=body).json()
