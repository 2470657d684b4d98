"""Build a ready RingCentral client for one organization's connection (logging reuses this), or
for a pool of connections: several authorised users of one RingCentral account whose rate
budgets add up (reference §4 counts every group per user and app)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from callbridge.clock import Clock
from callbridge.config import Settings
from callbridge.db.session import Database
from callbridge.errors import InvalidInput
from callbridge.http.client import HttpClient
from callbridge.platforms.ringcentral.auth import RingCentralAuth
from callbridge.platforms.ringcentral.client import RingCentralClient
from callbridge.platforms.ringcentral.connection import Connection, VaultTokenStore, load_connection
from callbridge.platforms.ringcentral.errors import AuthExpired
from callbridge.platforms.ringcentral.groups import DEFAULT_LIMITS, group_of
from callbridge.platforms.ringcentral.transport import BudgetedTransport, Credential, PooledTransport
from callbridge.privacy.vault import Vault
from callbridge.ratelimit import BudgetStore, RateBudget, open_budget_store

__all__ = ["Identity", "RingCentralSession", "open_ringcentral"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class Runtime(Protocol):
    """What the factory needs of :class:`callbridge.runtime.Runtime` (platforms do not import the
    runtime: it wires pipelines and connectors, which platforms must not depend on)."""

    settings: Settings
    db: Database
    clock: Clock

    @property
    def vault(self) -> Vault: ...


@dataclass(frozen=True)
class Identity:
    """Who each credential of a pool signs in as (never logged or stored in clear)."""

    accounts: dict[str, str]  # connection name -> RingCentral account id
    users: dict[str, str]  # connection name -> extension id

    @property
    def account_id(self) -> str:
        """The account of the primary (first) connection."""
        return next(iter(self.accounts.values()))

    def check(self) -> None:
        """A pool must be one account (else the credentials do not see the same data) and
        distinct users (two connections of one user share that user's limits)."""
        if len(set(self.accounts.values())) > 1:
            listed = ", ".join(repr(n) for n in sorted(self.accounts))
            raise InvalidInput(
                f"The RingCentral connections {listed} belong to different RingCentral accounts; a pool "
                "shares the rate limits of one account's users.",
                field="connection",
                hint="pool only connections of admins of the same RingCentral account; archive each account "
                "with its own --connection",
            )
        seen: dict[str, str] = {}
        for name, user in self.users.items():
            if user in seen:
                raise InvalidInput(
                    f"The RingCentral connections {seen[user]!r} and {name!r} sign in as the same user; "
                    "RingCentral counts limits per user, so pooling them adds no capacity and invites 429s.",
                    field="connection",
                    hint="connect a different admin user for the second connection, or drop one --connection",
                )
            seen[user] = name
        if not self.account_id:
            raise InvalidInput(
                "RingCentral did not say which account the connection belongs to.",
                field="connection",
                hint="check that the app has the ReadAccounts permission",
            )


@dataclass
class RingCentralSession:
    client: RingCentralClient
    budget: RateBudget  # the first (primary) credential's
    connection: Connection  # the first (primary) connection
    credentials: list[Credential] = field(default_factory=list)

    @property
    def budgets(self) -> list[RateBudget]:
        return [c.budget for c in self.credentials] or [self.budget]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.credentials] or [self.connection.name]

    def throttled_total(self) -> int:
        return sum(b.throttled_total() for b in self.budgets)

    def requests_by_group(self) -> dict[str, int]:
        return {g: sum(b.snapshot(g).requests for b in self.budgets) for g in self.budget.defaults}

    async def identify(self, *, check: bool = True) -> Identity:
        """Ask each credential who it is (one Light request each); ``check``: raise
        :class:`InvalidInput` unless the pool is one account and distinct users."""
        users: dict[str, str] = {}
        accounts: dict[str, str] = {}
        for credential in self.credentials:
            if credential.out:
                continue
            try:
                me = await self.client.whoami(credential.name)
            except AuthExpired as exc:
                if not [c for c in self.credentials if c.out is None and c is not credential]:
                    raise
                credential.out = exc.message  # the others carry on; the run reports it
                log.warning("RingCentral credential %r left the pool: %s", credential.name, exc.message)
                continue
            users[credential.name] = str(me.get("id") or "")
            accounts[credential.name] = str((me.get("account") or {}).get("id") or "")
        identity = Identity(accounts, users)
        if check:
            identity.check()
        return identity

    async def aclose(self) -> None:
        await self.client.http.aclose()
        for credential in self.credentials:
            await credential.auth.http.aclose()


def _app_key(conn: Connection) -> str:
    return hashlib.sha256(conn.app.client_id.encode()).hexdigest()[:16]


def open_ringcentral(
    runtime: Runtime,
    organization_id: str,
    *,
    connection: str = "default",
    pool: Sequence[str] = (),
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
    budget_store: BudgetStore | None = None,
) -> RingCentralSession:
    """The organization's RingCentral client through ``connection`` and the connections in
    ``pool`` (other authorised users of the same account). Each keeps its own rate budget, shared
    with every other worker using the same app and connection (in the database or Redis, see
    ``CALLBRIDGE_RATELIMIT_URL``); each request goes through the one whose budget frees first."""
    names = list(dict.fromkeys([connection, *pool]))
    with runtime.db.tenant(organization_id) as session:
        conns = [load_connection(session, runtime.vault, name) for name in names]
    primary = conns[0]
    for other in conns[1:]:
        if other.server_url != primary.server_url:
            raise InvalidInput(
                f"The RingCentral connections {primary.name!r} and {other.name!r} point at different "
                f"servers ({primary.server_url}, {other.server_url}).",
                field="connection",
                hint="pool only connections of one RingCentral account on one server",
            )
    store = budget_store or open_budget_store(runtime.settings, runtime.db, runtime.clock)
    inner = transport or httpx.AsyncHTTPTransport()

    def http_client(via: httpx.AsyncBaseTransport) -> HttpClient:
        return HttpClient(
            "ringcentral",
            timeout=runtime.settings.http_timeout_seconds,
            max_retries=runtime.settings.http_max_retries,
            transport=via,
            clock=runtime.clock,
            sleep=sleep,
        )

    credentials: list[Credential] = []
    for conn in conns:
        budget = RateBudget(
            store,
            runtime.clock,
            app=f"ringcentral:{_app_key(conn)}",
            credential=f"{organization_id}:{conn.name}",
            defaults=DEFAULT_LIMITS,
        )
        # the OAuth calls of this credential count in its own Auth budget
        auth_http = http_client(BudgetedTransport(inner, budget, group_of, sleep, close_inner=False))
        tokens = VaultTokenStore(runtime.db, runtime.vault, organization_id, conn.name)
        auth = RingCentralAuth(auth_http, conn.app, tokens, runtime.clock, server_url=conn.server_url)
        credentials.append(Credential(conn.name, budget, auth))
    http = http_client(PooledTransport(inner, credentials, group_of, sleep))
    hosts = set().union(*(c.hosts for c in conns))
    client = RingCentralClient(http, credentials[0].auth, server_url=primary.server_url, allowed_hosts=hosts)
    return RingCentralSession(client, credentials[0].budget, primary, credentials)
