"""The organization's RingCentral client for ingest jobs, and the owner time-zone directory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from callbridge.pipelines.ingest.names import DIRECTORY_PURPOSE
from callbridge.platforms.ringcentral.factory import RingCentralSession, open_ringcentral
from callbridge.platforms.ringcentral.normalise import zone
from callbridge.platforms.ringcentral.sync import read_extension

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["ZoneDirectory", "run_with_ringcentral"]

T = TypeVar("T")


def run_with_ringcentral(
    runtime: Runtime,
    organization_id: str,
    work: Callable[[RingCentralSession], Awaitable[T]],
    *,
    connection: str = "default",
) -> T:
    """Open the organization's client, run ``work`` with it, close it (tests patch the opener)."""

    async def go() -> T:
        rc = open_ringcentral(runtime, organization_id, connection=connection)
        try:
            return await work(rc)
        finally:
            await rc.aclose()

    return asyncio.run(go())


class ZoneDirectory:
    """Owner time zones (regionalSettings), cached in the vault under the owner's pseudonym."""

    def __init__(self, runtime: Runtime, organization_id: str, rc: RingCentralSession | None) -> None:
        self.runtime = runtime
        self.organization_id = organization_id
        self.rc = rc
        self._known: dict[str, ZoneInfo] = {}

    async def zone_of(self, extension_id: str | None) -> ZoneInfo:
        if not extension_id:
            return zone(None)
        if extension_id in self._known:
            return self._known[extension_id]
        vault = self.runtime.vault
        with self.runtime.db.tenant(self.organization_id) as session:
            name = "tz:" + self.runtime.pseudonyms.pseudonym(session, "extension", extension_id)
            cached = (
                vault.get_text(session, DIRECTORY_PURPOSE, name)
                if vault.exists(session, DIRECTORY_PURPOSE, name)
                else None
            )
        if cached is None:
            if self.rc is None:
                return zone(None)
            info = await read_extension(self.rc.client, extension_id)
            cached = ((info.get("regionalSettings") or {}).get("timezone") or {}).get("name") or "UTC"
            with self.runtime.db.tenant(self.organization_id) as session:
                vault.put(session, DIRECTORY_PURPOSE, name, cached)
        self._known[extension_id] = zone(cached)
        return self._known[extension_id]
