"""Build a ready RingCentral client for one organization's connection (logging reuses this)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from callbridge.clock import Clock
from callbridge.config import Settings
from callbridge.db.session import Database
from callbridge.http.client import HttpClient
from callbridge.platforms.ringcentral.auth import RingCentralAuth
from callbridge.platforms.ringcentral.client import RingCentralClient
from callbridge.platforms.ringcentral.connection import Connection, VaultTokenStore, load_connection
from callbridge.platforms.ringcentral.groups import DEFAULT_LIMITS, group_of
from callbridge.platforms.ringcentral.transport import BudgetedTransport
from callbridge.privacy.vault import Vault
from callbridge.ratelimit import BudgetStore, RateBudget, SqlBudgetStore

__all__ = ["RingCentralSession", "open_ringcentral"]

Sleep = Callable[[float], Awaitable[None]]


class Runtime(Protocol):
    """What the factory needs of :class:`callbridge.runtime.Runtime` (platforms do not import the
    runtime: it wires pipelines and connectors, which platforms must not depend on)."""

    settings: Settings
    db: Database
    clock: Clock

    @property
    def vault(self) -> Vault: ...


@dataclass
class RingCentralSession:
    client: RingCentralClient
    budget: RateBudget
    connection: Connection

    async def aclose(self) -> None:
        await self.client.http.aclose()


def open_ringcentral(
    runtime: Runtime,
    organization_id: str,
    *,
    connection: str = "default",
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    budget_store: BudgetStore | None = None,
) -> RingCentralSession:
    """The organization's RingCentral client; its rate budget is shared through the database
    with every other worker using the same app and connection."""
    with runtime.db.tenant(organization_id) as session:
        conn = load_connection(session, runtime.vault, connection)
    app_key = hashlib.sha256(conn.app.client_id.encode()).hexdigest()[:16]
    budget = RateBudget(
        budget_store or SqlBudgetStore(runtime.db, runtime.clock),
        runtime.clock,
        app=f"ringcentral:{app_key}",
        credential=f"{organization_id}:{connection}",
        defaults=DEFAULT_LIMITS,
    )
    inner = transport or httpx.AsyncHTTPTransport()
    http = HttpClient(
        "ringcentral",
        timeout=runtime.settings.http_timeout_seconds,
        max_retries=runtime.settings.http_max_retries,
        transport=BudgetedTransport(inner, budget, group_of, sleep),
        clock=runtime.clock,
        sleep=sleep,
    )
    store = VaultTokenStore(runtime.db, runtime.vault, organization_id, connection)
    auth = RingCentralAuth(http, conn.app, store, runtime.clock, server_url=conn.server_url)
    client = RingCentralClient(http, auth, server_url=conn.server_url, allowed_hosts=conn.hosts)
    return RingCentralSession(client, budget, conn)
