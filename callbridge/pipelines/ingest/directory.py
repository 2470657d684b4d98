"""Keeping the extension directory current: on connect, daily, and for owners met in between.

``ingest.directory`` (payload ``{"connection"}``) reads the whole directory (the list, plus one
Light read per extension that owns communications, for its time zone), stores it in batches and
removes the extensions the platform no longer lists. The ingest sweep offers it once a day per
connection; turning ingest on (``ingest.subscription``) offers it at once when the connection has
no directory yet. When the logging pipeline is installed the refresh then submits
``logging.users``, which maps the directory's users to CRM users by email, and, with webhooks on,
``ingest.subscription``, which brings the subscription's per-extension message-store filters in
line with the directory (an added extension gets its filter, a removed one loses it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from callbridge.db.models import DirectoryEntry, SealedSecret, WebhookSubscription
from callbridge.jobs.queue import enqueue
from callbridge.jobs.schedule import period_start
from callbridge.pipelines.ingest.names import DIRECTORY, RENEW, USERS
from callbridge.platforms.ringcentral.directory import (
    SEALED_PURPOSE,
    DirectoryChange,
    read_directory,
    remove_missing,
    store_extension,
)
from callbridge.platforms.ringcentral.factory import RingCentralSession

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["DIRECTORY_EVERY", "directory_key", "has_directory", "refresh_directory", "request_directory"]

log = logging.getLogger(__name__)
DIRECTORY_EVERY = timedelta(days=1)
BATCH = 200  # extensions stored per transaction (short write transactions on SQLite)


def directory_key(connection: str, now: datetime) -> str:
    """One refresh per connection per day, however many sweeps offer it."""
    return f"{DIRECTORY}:{connection}@{period_start(now, DIRECTORY_EVERY).isoformat()}"


def has_directory(runtime: Runtime, organization_id: str, connection: str) -> bool:
    with runtime.db.tenant(organization_id) as session:
        return session.scalars(
            select(DirectoryEntry.id).where(DirectoryEntry.connection == connection)
        ).first() is not None


def request_directory(runtime: Runtime, organization_id: str, connection: str = "default") -> bool:
    """Queue today's refresh of ``connection``'s directory (call it after connecting); True when new."""
    _, created = runtime.submit(organization_id, DIRECTORY, {"connection": connection},
                                key=directory_key(connection, runtime.clock.now()))
    if created:
        runtime.broker.wake()
    return created


async def refresh_directory(
    runtime: Runtime, organization_id: str, rc: RingCentralSession, *, connection: str = "default"
) -> DirectoryChange:
    """Read the platform's directory and make the stored one equal to it."""
    extensions = await read_directory(rc.client)
    now = runtime.clock.now()
    change = DirectoryChange()
    kept: list[str] = []
    for start in range(0, len(extensions), BATCH):
        with runtime.db.tenant(organization_id) as session:
            refs = {e.id: runtime.pseudonyms.pseudonym(session, "extension", e.id)
                    for e in extensions[start:start + BATCH]}
            for ext in extensions[start:start + BATCH]:
                row = store_extension(session, runtime.vault, refs.__getitem__, connection, ext, now, change)
                kept.append(row.ref)
    with runtime.db.tenant(organization_id) as session:
        if extensions:  # an account always has an extension: an empty list removes nothing
            remove_missing(session, runtime.vault, connection, kept, change)
        for legacy in session.scalars(select(SealedSecret.name).where(  # zones cached before the directory
                SealedSecret.purpose == SEALED_PURPOSE, SealedSecret.name.startswith("tz:"))).all():
            runtime.vault.delete(session, SEALED_PURPOSE, legacy)
        if USERS in runtime.registry:
            spec = runtime.registry.get(USERS)
            enqueue(session, runtime.clock, USERS, {"reason": "directory"},
                    key=f"{USERS}:directory:{connection}:{now.isoformat()}",
                    max_attempts=spec.max_attempts or runtime.settings.job_max_attempts)
        subscribed = session.scalars(select(WebhookSubscription.id).where(
            WebhookSubscription.platform == "ringcentral", WebhookSubscription.connection == connection,
            WebhookSubscription.status == "active")).first() is not None
        if subscribed and runtime.settings.public_url and RENEW in runtime.registry:
            spec = runtime.registry.get(RENEW)  # filters follow the directory now, not at the next upkeep
            enqueue(session, runtime.clock, RENEW, {"connection": connection},
                    key=f"{RENEW}:{connection}:directory@{now.isoformat()}",
                    max_attempts=spec.max_attempts or runtime.settings.job_max_attempts)
    runtime.broker.wake()
    log.info("extension directory %s: %d added, %d updated, %d removed; %d without email, %d without "
             "time zone", connection, change.added, change.updated, change.removed, change.without_email,
             change.without_zone)
    return change
