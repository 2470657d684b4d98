"""Catch-up sync: call log (account, Detailed) and message store since a cursor, with a look-back.

The same pieces as the webhooks produce go through the same merge, so after downtime callbridge
converges to the platform's record by itself. A cursor advances only after everything before
it is committed (Invariant 3); the look-back re-reads late recordings and late-final records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from callbridge.db.models import IngestCursor
from callbridge.pipelines.ingest.pieces import call_pieces, message_pieces
from callbridge.pipelines.ingest.platform import ZoneDirectory
from callbridge.pipelines.ingest.store import store_piece
from callbridge.platforms.ringcentral.errors import NotFound, PermissionDenied
from callbridge.platforms.ringcentral.factory import RingCentralSession
from callbridge.platforms.ringcentral.sync import recent_calls, recent_messages

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["SyncResult", "catch_up", "read_cursor"]

log = logging.getLogger(__name__)

# extension types whose message store holds communications worth logging
MESSAGE_OWNERS = {"User", "FaxUser", "Department", "VirtualUser", "DigitalUser", "Voicemail"}


@dataclass
class SyncResult:
    calls_read: int = 0
    messages_read: int = 0
    changed: int = 0
    created: int = 0


def read_cursor(runtime: Runtime, organization_id: str, connection: str, dataset: str) -> datetime | None:
    with runtime.db.tenant(organization_id) as session:
        row = session.scalars(
            select(IngestCursor).where(IngestCursor.connection == connection, IngestCursor.dataset == dataset)
        ).one_or_none()
        return row.position if row else None


def _advance(
    runtime: Runtime, organization_id: str, connection: str, dataset: str, position: datetime
) -> None:
    with runtime.db.tenant(organization_id) as session:
        row = session.scalars(
            select(IngestCursor).where(IngestCursor.connection == connection, IngestCursor.dataset == dataset)
        ).one_or_none()
        if row is None:
            session.add(
                IngestCursor(connection=connection, dataset=dataset, position=position, updated_at=position)
            )
        elif position > row.position:
            row.position = position
            row.updated_at = runtime.clock.now()


def _window(runtime: Runtime, organization_id: str, connection: str, dataset: str, now: datetime) -> datetime:
    settings = runtime.settings
    cursor = read_cursor(runtime, organization_id, connection, dataset)
    start = cursor if cursor is not None else now - timedelta(hours=settings.ingest_initial_hours)
    return start - timedelta(minutes=settings.ingest_lookback_minutes)


def _store(runtime: Runtime, organization_id: str, pieces: list[Any], result: SyncResult) -> None:
    for piece in pieces:
        outcome = store_piece(runtime, organization_id, piece)
        result.changed += outcome.changed
        result.created += outcome.created


async def catch_up(
    runtime: Runtime,
    organization_id: str,
    rc: RingCentralSession,
    *,
    connection: str = "default",
    now: datetime | None = None,
) -> SyncResult:
    """Read both datasets from their cursors (minus the look-back) to ``now`` and merge them."""
    now = now or runtime.clock.now()
    result = SyncResult()

    date_from = _window(runtime, organization_id, connection, "calls", now)
    async for page in recent_calls(rc.client, date_from, now):
        result.calls_read += len(page.records)
        _store(runtime, organization_id, call_pieces(runtime, organization_id, page.records), result)
    _advance(runtime, organization_id, connection, "calls", now)

    date_from = _window(runtime, organization_id, connection, "messages", now)
    directory = ZoneDirectory(runtime, organization_id, rc, connection)
    for ext in await rc.client.list_extensions():
        ext_id = str(ext.get("id") or "")
        if (
            not ext_id
            or ext.get("type") not in MESSAGE_OWNERS
            or ext.get("status") in ("NotActivated", "Unassigned")
        ):
            continue
        try:
            async for page in recent_messages(rc.client, ext_id, date_from, now):
                result.messages_read += len(page.records)
                zones = {}
                if any(r.get("type") == "SMS" for r in page.records):
                    zones[ext_id] = await directory.zone_of(ext_id)
                records = [(ext_id, r) for r in page.records]
                _store(
                    runtime, organization_id, message_pieces(runtime, organization_id, records, zones), result
                )
        except (NotFound, PermissionDenied) as exc:
            log.info("message store of an extension skipped: %s", exc.message)
    _advance(runtime, organization_id, connection, "messages", now)
    return result
