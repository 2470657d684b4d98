"""Entry points the CLI and the worker share: check inputs, open the client and the store, run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import httpx
from sqlalchemy import select

from callbridge.clock import utc
from callbridge.db.models import Organization
from callbridge.errors import InvalidInput, NotFound
from callbridge.pipelines.archive.accounts import pool_of
from callbridge.pipelines.archive.storage import ObjectStore, store_from_settings
from callbridge.platforms.ringcentral.factory import RingCentralSession, open_ringcentral

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["choose_connections", "organization_id", "parse_when", "prepare", "with_session"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


def parse_when(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput(
            f"--{field} {value!r} is not a date.", field=field, hint="use YYYY-MM-DD or an ISO 8601 time"
        ) from None


def organization_id(runtime: Runtime, slug: str) -> str:
    with runtime.db.anonymous() as session:
        found = session.scalars(select(Organization.id).where(Organization.slug == slug)).first()
    if found is None:
        raise NotFound(f"No organization with slug {slug!r}.", field="org", hint="see 'callbridge org list'")
    return found


def prepare(runtime: Runtime, *, probe: bool = True) -> ObjectStore:
    store = store_from_settings(runtime.settings)
    if probe:
        store.probe()
    return store


def choose_connections(runtime: Runtime, org_id: str, named: Sequence[str] = ()) -> list[str]:
    """The connections a command uses: those named (``--connection``, in order, the first is the
    primary), or else ``default`` with every connection known to sign in to the same account."""
    chosen = list(dict.fromkeys(n.strip() for n in named if n.strip()))
    if chosen:
        return chosen
    with runtime.db.tenant(org_id) as session:
        return pool_of(session, runtime.vault, "default")


def with_session(
    runtime: Runtime,
    org_id: str,
    work: Callable[[RingCentralSession], Awaitable[T]],
    *,
    connection: str = "default",
    pool: Sequence[str] = (),
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Open the organization's RingCentral client (through ``connection`` and the other
    connections of ``pool``), run ``work`` with it, close it."""

    async def go() -> T:
        rc = open_ringcentral(
            runtime, org_id, connection=connection, pool=list(pool), transport=transport, sleep=sleep
        )
        try:
            return await work(rc)
        finally:
            await rc.aclose()

    return asyncio.run(go())
