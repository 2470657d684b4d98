"""Helpers for tests against the in-process RingCentral sandbox (no network, virtual clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from callbridge.clock import VirtualClock
from callbridge.platforms.ringcentral.auth import AppCredentials
from callbridge.platforms.ringcentral.connection import Connection, save_connection
from callbridge.platforms.ringcentral.factory import RingCentralSession, open_ringcentral
from callbridge.runtime import Runtime
from callbridge.sandbox.ringcentral import create_app
from callbridge.sandbox.ringcentral.config import RingCentralSandboxConfig
from callbridge.sandbox.ringcentral.generator import generate

BASE = "http://rc.test"


def virtual_sleep(clock: VirtualClock) -> Callable[[float], Awaitable[None]]:
    async def sleep(seconds: float) -> None:
        if seconds > 0:
            clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep


def sandbox(clock: VirtualClock, **config: Any) -> FastAPI:
    config.setdefault("recording_bytes", 3000)
    return create_app(RingCentralSandboxConfig(**config), clock)


def seed(app: FastAPI, clock: VirtualClock, *, days: int = 7, **kw: Any) -> dict[str, Any]:
    kw.setdefault("extensions", 3)
    kw.setdefault("calls_per_day", 12)
    kw.setdefault("sms_conversations_per_day", 3)
    kw.setdefault("faxes_per_day", 1)
    return generate(app, seed=kw.pop("seed", 7), days=days, start=clock.now() - timedelta(days=days), **kw)


def connect(runtime: Runtime, org_id: str, app: FastAPI, *, base: str = BASE, name: str = "default") -> None:
    auth = app.state.sandbox.config.auth
    with runtime.db.tenant(org_id) as session:
        save_connection(
            session,
            runtime.vault,
            Connection(name, base, None, AppCredentials(auth.client_id, auth.client_secret, auth.jwt)),
        )


def connect_user(
    runtime: Runtime, org_id: str, app: FastAPI, clock: VirtualClock, *, name: str, user: int = 1
) -> str:
    """A connection signed in as another user of the sandbox account (the ``user``-th extension),
    through the authorization code + PKCE flow (the sandbox's JWT belongs to the admin only).
    Returns the user's extension id."""
    state = app.state.sandbox
    ext = list(state.extensions.values())[user]
    auth = state.config.auth
    with runtime.db.tenant(org_id) as session:
        save_connection(
            session,
            runtime.vault,
            Connection(name, BASE, None, AppCredentials(auth.client_id, auth.client_secret)),
        )
    rc = open_ringcentral(
        runtime, org_id, connection=name, transport=httpx.ASGITransport(app=app), sleep=virtual_sleep(clock)
    )
    redirect = "https://cb.example/oauth/callback/ringcentral"

    async def go() -> None:
        try:
            url, pkce = rc.client.auth.authorization_url(redirect, "st4te")
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as raw:
                answer = await raw.get(f"{url}&login_hint={ext.number}")
            code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
            await rc.client.auth.exchange_code(code, pkce.verifier, redirect)
        finally:
            await rc.aclose()

    asyncio.run(go())
    return str(ext.id)


def open_rc(
    runtime: Runtime,
    org_id: str,
    app: FastAPI,
    clock: VirtualClock,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    pool: Sequence[str] = (),
    connection: str = "default",
) -> RingCentralSession:
    return open_ringcentral(
        runtime,
        org_id,
        connection=connection,
        pool=pool,
        transport=transport or httpx.ASGITransport(app=app),
        sleep=virtual_sleep(clock),
    )


def served(app: FastAPI, path_contains: str = "") -> list[dict[str, Any]]:
    return [r for r in app.state.sandbox.request_log if path_contains in r["path"]]
