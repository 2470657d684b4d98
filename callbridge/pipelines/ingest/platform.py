"""The organization's RingCentral client for ingest jobs, and owners' time zones (extension directory)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from callbridge.pipelines.logging.preferences import effective_preferences
from callbridge.platforms.ringcentral.directory import Extension, entry_for, read_one, store_extension
from callbridge.platforms.ringcentral.factory import RingCentralSession, open_ringcentral
from callbridge.platforms.ringcentral.normalise import zone

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["ZoneDirectory", "fallback_zone", "run_with_ringcentral", "zone_for"]

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


def fallback_zone(session: Session, owner_ref: str | None) -> ZoneInfo:
    """The zone of a user the directory has none for: the preferences' ``default_time_zone``
    (the user's, else the organization's), else UTC."""
    return zone(effective_preferences(session, owner_ref).default_time_zone)


def zone_for(session: Session, owner_ref: str | None, connection: str | None = None) -> ZoneInfo:
    """The owner's time zone: the extension directory's, else :func:`fallback_zone`."""
    row = entry_for(session, owner_ref, connection) if owner_ref else None
    if row is None and owner_ref and connection is not None:
        row = entry_for(session, owner_ref)
    if row is not None and row.time_zone:
        return zone(row.time_zone)
    return fallback_zone(session, owner_ref)


class ZoneDirectory:
    """Owner time zones for normalising messages, from the extension directory.

    An owner the directory does not list yet (an extension added since the last refresh) is read
    once (Light) and added to it; a zone still unknown falls back to :func:`fallback_zone`.
    """

    def __init__(self, runtime: Runtime, organization_id: str, rc: RingCentralSession | None,
                 connection: str = "default") -> None:
        self.runtime = runtime
        self.organization_id = organization_id
        self.rc = rc
        self.connection = connection
        self._known: dict[str, ZoneInfo] = {}

    async def zone_of(self, extension_id: str | None) -> ZoneInfo:
        if extension_id and extension_id in self._known:
            return self._known[extension_id]
        with self.runtime.db.tenant(self.organization_id) as session:
            pseudonyms = self.runtime.pseudonyms
            ref = pseudonyms.pseudonym(session, "extension", extension_id) if extension_id else None
            listed = entry_for(session, ref, self.connection) if ref else None
        if listed is None and ref and extension_id and self.rc is not None:
            # not shown to us: listed without details, so it is not read again before the refresh
            ext = await read_one(self.rc.client, extension_id) or Extension(extension_id)
            with self.runtime.db.tenant(self.organization_id) as session:
                store_extension(session, self.runtime.vault, lambda _: ref, self.connection, ext,
                                self.runtime.clock.now())
        with self.runtime.db.tenant(self.organization_id) as session:
            found = zone_for(session, ref, self.connection)
        if extension_id:
            self._known[extension_id] = found
        return found
