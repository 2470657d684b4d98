"""Helpers for tests against the in-process RingCentral sandbox (no network, virtual clock)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

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


def open_rc(
    runtime: Runtime,
    org_id: str,
    app: FastAPI,
    clock: VirtualClock,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RingCentralSession:
    return open_ringcentral(
        runtime, org_id, transport=transport or httpx.ASGITransport(app=app), sleep=virtual_sleep(clock)
    )


def served(app: FastAPI, path_contains: str = "") -> list[dict[str, Any]]:
    return [r for r in app.state.sandbox.request_log if path_contains in r["path"]]
