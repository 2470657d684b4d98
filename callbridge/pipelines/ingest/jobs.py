"""Ingest jobs: normalise an inbox event, catch-up sync, subscription upkeep, the extension
directory, and the sweep.

``ingest.sweep`` is a system schedule (every ``ingest_sweep_minutes``): for each organization
with a RingCentral connection it offers this period's ``ingest.sync``, this hour's
``ingest.subscription`` and this day's ``ingest.directory`` job, and re-enqueues inbox events
whose job went missing (Invariant 3: the database is the source of truth, a queued job only a hint).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select

from callbridge.db.models import InboxEvent, WebhookSubscription
from callbridge.domain.communication import Communication
from callbridge.jobs.registry import GiveUp, JobContext, RetryLater
from callbridge.jobs.schedule import Schedule, period_start
from callbridge.pipelines.ingest.directory import directory_key, has_directory, refresh_directory
from callbridge.pipelines.ingest.names import DIRECTORY, NORMALISE, RENEW, SWEEP, SYNC, normalise_key
from callbridge.pipelines.ingest.pieces import message_pieces, telephony_pieces
from callbridge.pipelines.ingest.platform import ZoneDirectory, run_with_ringcentral
from callbridge.pipelines.ingest.store import store_piece
from callbridge.pipelines.ingest.subscribe import ensure_subscription
from callbridge.pipelines.ingest.sync import catch_up
from callbridge.platforms.ringcentral.errors import AuthExpired, RateLimited, Unavailable
from callbridge.platforms.ringcentral.factory import RingCentralSession
from callbridge.platforms.ringcentral.normalise import PLATFORM, parse_time
from callbridge.platforms.ringcentral.subscriptions import event_extension
from callbridge.platforms.ringcentral.sync import read_message, recent_messages
from callbridge.platforms.ringcentral.webhooks import MalformedDelivery, parse_envelope

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["register_ingest_tasks"]

log = logging.getLogger(__name__)
T = TypeVar("T")
STUCK_AFTER = timedelta(minutes=2)
MESSAGE_WINDOW = timedelta(hours=1)  # a change notice without ids: re-read this much of the store


@contextmanager
def _platform_errors() -> Iterator[None]:
    try:
        yield
    except AuthExpired as exc:
        raise GiveUp(f"{exc.message} Fix: {exc.hint or 'reconnect RingCentral'}") from None
    except RateLimited as exc:
        raise RetryLater(exc.message, after=timedelta(seconds=exc.retry_after)) from None
    except Unavailable as exc:
        raise RetryLater(exc.message, after=timedelta(minutes=5)) from None


def _with_rc(
    ctx: JobContext, work: Callable[[RingCentralSession], Awaitable[T]], connection: str = "default"
) -> T:
    assert ctx.organization_id is not None
    with _platform_errors():
        return run_with_ringcentral(ctx.runtime, ctx.organization_id, work, connection=connection)


# -- ingest.normalise ------------------------------------------------------------------------
async def _message_records(
    runtime: Runtime,
    org_id: str,
    rc: RingCentralSession,
    event_type: str,
    body: dict[str, Any],
    owner: str | None,
    event: str = "",
) -> tuple[list[tuple[str | None, dict[str, Any]]], dict[str, Any]]:
    records: list[tuple[str | None, dict[str, Any]]] = []
    # the extension whose store the event is about: the one its path names (a per-extension
    # filter), else the body's; ``ownerId`` is the subscription's owner (the admin), the last resort
    named = event_extension(event)
    if event_type == "message-store":
        ext_id = str(named or body.get("extensionId") or owner or "")
        ids = [str(i) for change in body.get("changes") or [] for i in change.get("newMessageIds") or []]
        if ids:
            for message_id in ids:
                record = await read_message(rc.client, ext_id, message_id)
                if record is not None:
                    records.append((ext_id, record))
        else:  # counts only: re-read the recent store of that extension
            last = parse_time(body.get("lastUpdated")) or runtime.clock.now()
            async for page in recent_messages(
                rc.client, ext_id, last - MESSAGE_WINDOW, last + timedelta(minutes=1)
            ):
                records.extend((ext_id, r) for r in page.records)
    else:
        found = named or (str(body["extensionId"]) if body.get("extensionId") else None)
        records.append((found or owner, body))
    directory = ZoneDirectory(runtime, org_id, rc)
    zones = {}
    for ext_id, record in records:
        if ext_id and record.get("type") == "SMS" and ext_id not in zones:
            zones[ext_id] = await directory.zone_of(ext_id)
    return records, zones


def normalise(ctx: JobContext) -> None:
    runtime, org_id = ctx.runtime, ctx.organization_id
    if org_id is None:
        raise GiveUp("an ingest job needs an organization")
    inbox_id = str(ctx.payload.get("inbox_id", ""))
    with ctx.session() as session:
        row = session.get(InboxEvent, inbox_id)
        if row is None or row.status != "pending" or row.body is None:
            return  # already normalised (a repeated job), or ignored
        raw, event_type = row.body, row.event_type
    try:
        envelope = parse_envelope(raw.encode("utf-8"))
    except MalformedDelivery as exc:
        _finish(ctx, inbox_id, "failed", exc.message)
        raise GiveUp(f"inbox event {inbox_id}: {exc.message}") from None
    pieces: list[Communication]
    if event_type == "telephony":
        pieces = telephony_pieces(runtime, org_id, envelope.body, envelope.owner_id)
    elif event_type in ("message-store", "instant-sms", "fax", "voicemail"):

        async def fetch(rc: RingCentralSession) -> Any:
            return await _message_records(
                runtime, org_id, rc, event_type, envelope.body, envelope.owner_id, envelope.event
            )

        records, zones = _with_rc(ctx, fetch)
        pieces = message_pieces(runtime, org_id, records, zones)
    else:
        _finish(ctx, inbox_id, "ignored", f"no normaliser for event type {event_type!r}")
        return
    for piece in pieces:
        store_piece(runtime, org_id, piece)
    _finish(ctx, inbox_id, "done", None)


def _finish(ctx: JobContext, inbox_id: str, status: str, reason: str | None) -> None:
    """Mark the event and drop its raw body (Decision 2: inbox bodies are transient)."""
    with ctx.session() as session:
        row = session.get(InboxEvent, inbox_id)
        if row is not None:
            row.status = status
            row.reason = reason
            row.body = None
            row.processed_at = ctx.runtime.clock.now()


# -- ingest.sync / ingest.subscription -------------------------------------------------------
def _connection_step(ctx: JobContext, step: Callable[..., Awaitable[T]]) -> tuple[str, str, T]:
    """Run ``step(runtime, org_id, rc, connection=…)`` for the job's connection: (org, connection, result)."""
    connection = str(ctx.payload.get("connection", "default"))
    assert ctx.organization_id is not None
    org_id = ctx.organization_id

    async def work(rc: RingCentralSession) -> T:
        return await step(ctx.runtime, org_id, rc, connection=connection)

    return org_id, connection, _with_rc(ctx, work, connection)


def sync(ctx: JobContext) -> None:
    _, _, result = _connection_step(ctx, catch_up)
    log.info(
        "ingest sync: %d calls, %d messages read, %d communications changed",
        result.calls_read,
        result.messages_read,
        result.changed,
    )


def subscription(ctx: JobContext) -> None:
    org_id, connection, state = _connection_step(ctx, ensure_subscription)
    if state.action == "polling-only":
        log.info(state.message)
    if not has_directory(ctx.runtime, org_id, connection):  # ingest just turned on: learn who is who
        ctx.runtime.submit(org_id, DIRECTORY, {"connection": connection},
                           key=directory_key(connection, ctx.runtime.clock.now()))


def directory_job(ctx: JobContext) -> None:
    _connection_step(ctx, refresh_directory)


# -- ingest.sweep (system) -------------------------------------------------------------------
def sweep(ctx: JobContext) -> None:
    runtime = ctx.runtime
    now = runtime.clock.now()
    with ctx.system_session("ingest sweep: RingCentral connections and stuck inbox events") as session:
        # ingest is on for a connection once it has a subscription row (webhooks or polling-only)
        connections = list(
            session.execute(
                select(WebhookSubscription.organization_id, WebhookSubscription.connection)
                .where(WebhookSubscription.platform == PLATFORM)  # Zoom endpoints have no call log to sync
                .distinct()
            )
        )
        stuck = list(
            session.execute(
                select(InboxEvent.organization_id, InboxEvent.id)
                .where(InboxEvent.status == "pending", InboxEvent.received_at <= now - STUCK_AFTER)
                .limit(1000)
            )
        )
    sync_slot = period_start(now, timedelta(minutes=runtime.settings.ingest_sync_minutes)).isoformat()
    hour_slot = period_start(now, timedelta(hours=1)).isoformat()
    for org_id, connection in connections:
        runtime.submit(org_id, SYNC, {"connection": connection}, key=f"{SYNC}:{connection}@{sync_slot}")
        if runtime.settings.public_url:
            runtime.submit(org_id, RENEW, {"connection": connection}, key=f"{RENEW}:{connection}@{hour_slot}")
        runtime.submit(org_id, DIRECTORY, {"connection": connection}, key=directory_key(connection, now))
    for org_id, inbox_id in stuck:
        runtime.submit(org_id, NORMALISE, {"inbox_id": inbox_id}, key=normalise_key(inbox_id))


def register_ingest_tasks(runtime: Runtime) -> None:
    registry = runtime.registry
    if NORMALISE in registry:
        return
    registry.task(NORMALISE)(normalise)
    registry.task(SYNC, max_attempts=5)(sync)
    registry.task(RENEW, max_attempts=5)(subscription)
    registry.task(DIRECTORY, max_attempts=5)(directory_job)
    registry.task(SWEEP, max_attempts=3)(sweep)
    runtime.schedules.append(Schedule(SWEEP, timedelta(minutes=runtime.settings.ingest_sweep_minutes)))
