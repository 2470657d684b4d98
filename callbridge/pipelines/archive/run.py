"""One archive run: list, upsert, download; cursors advance after each committed window.

A run goes through one RingCentral connection or a pool of them (authorised users of one account,
see ``open_ringcentral``): every request is sent through the credential whose budget frees first.
Rows and cursors are keyed by the RingCentral account, not by the credential, so the account's
data is archived once whichever credentials list it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from callbridge.db.models import ArchivedCall, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.accounts import learn_accounts
from callbridge.pipelines.archive.cursor import adopt_cursors, advance_cursor, read_cursor
from callbridge.pipelines.archive.datasets import DATASETS, check_window
from callbridge.pipelines.archive.download import DownloadMismatch, Stored, download
from callbridge.pipelines.archive.paths import extension_for, render_path
from callbridge.pipelines.archive.progress import DatasetStats, NullProgress, Progress, RunResult
from callbridge.pipelines.archive.records import account_of, upsert_calls, upsert_messages
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.client import iso
from callbridge.platforms.ringcentral.errors import NotFound, RateLimited, Unavailable
from callbridge.platforms.ringcentral.factory import RingCentralSession

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["RECORDING_EXTENSIONS", "Archiver", "windows"]

log = logging.getLogger(__name__)

RECORDING_EXTENSIONS = ("mp3", "wav")
MAILBOX_TYPES = {"User", "FaxUser", "VirtualUser", "DigitalUser", "Voicemail", "Department", None}
SETTLE = timedelta(minutes=1)  # a finished call shows up in the call log 15–30 s after it ends
FIRST_RUN_DAYS = 90  # automatic recordings are kept 90 days: a first run reaches that far back
Sleep = Callable[[float], Awaitable[None]]


def windows(start: datetime, end: datetime, hours: int) -> Iterator[tuple[datetime, datetime]]:
    step = timedelta(hours=hours)
    cur = start
    while cur < end:
        nxt = min(cur + step, end)
        yield cur, nxt
        cur = nxt


class Archiver:
    def __init__(
        self,
        runtime: Runtime,
        organization_id: str,
        rc: RingCentralSession,
        store: ObjectStore,
        *,
        progress: Progress | None = None,
        sleep: Sleep = asyncio.sleep,
        max_download_attempts: int = 4,
    ) -> None:
        self.runtime = runtime
        self.org = organization_id
        self.rc = rc
        self.client = rc.client
        self.store = store
        self.settings = runtime.settings
        self.progress = progress or NullProgress()
        self.sleep = sleep
        self.max_attempts = max_download_attempts
        # the account id once the run has asked the platform (before: the connection's name,
        # where older versions kept the cursors)
        self.cursor_key = rc.connection.name
        self.account: str | None = None

    async def identify(self) -> str:
        """Learn (once) which account the connection(s) sign in to: the pool must be one account
        and distinct users. Remembered for the schedule and the retention watch; cursors kept
        under a connection's name by older versions move to the account."""
        if self.account is None:
            identity = await learn_accounts(self.runtime, self.org, self.rc)
            with self.runtime.db.tenant(self.org) as session:
                adopt_cursors(session, identity.account_id, self.rc.names, self.runtime.clock.now())
            self.account = self.cursor_key = identity.account_id
        return self.account

    # -- entry point ----------------------------------------------------------------------
    def window(self, date_from: datetime | None, date_to: datetime | None) -> tuple[datetime, datetime]:
        now = self.runtime.clock.now()
        check_window(date_from, date_to, now)
        end = min(date_to or now - SETTLE, now)
        if date_from is None:
            with self.runtime.db.tenant(self.org) as session:
                cursors = [read_cursor(session, self.cursor_key, d) for d in ("calls", "messages")]
            known = [c for c in cursors if c is not None]
            lookback = timedelta(hours=self.settings.archive_lookback_hours)
            date_from = min(known) - lookback if known else end - timedelta(days=FIRST_RUN_DAYS)
        return date_from, end

    async def run(
        self,
        datasets: tuple[str, ...] = DATASETS,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
    ) -> RunResult:
        before = self._usage()
        await self.identify()
        start, end = self.window(date_from, date_to)
        result = RunResult(iso(start), iso(end), account=self.account)
        for name in datasets:
            result.datasets[name] = DatasetStats()
        if "calls" in datasets:
            await self._calls(start, end, result.datasets["calls"])
        if "recordings" in datasets:
            await self._objects("recording", result.datasets["recordings"], result)
        if "messages" in datasets:
            await self._messages(start, end, result.datasets["messages"])
        if "attachments" in datasets:
            await self._objects("attachment", result.datasets["attachments"], result)
        after = self._usage()
        for name, (requests, throttled) in after.items():
            was_requests, was_throttled = before.get(name, ({}, 0))
            used = {g: n - was_requests.get(g, 0) for g, n in requests.items()}
            result.credentials[name] = {
                "requests": sum(used.values()),
                "throttled_429": throttled - was_throttled,
            }
            for group, n in used.items():
                result.requests[group] = result.requests.get(group, 0) + n
            result.throttled += throttled - was_throttled
        for credential in self.rc.credentials:
            if credential.out:
                result.warnings.append(
                    f"RingCentral connection {credential.name!r} left the pool: {credential.out} "
                    f"(the others finished the run; reconnect it with 'callbridge archive connect "
                    f"--connection {credential.name}')"
                )
        return result

    def _usage(self) -> dict[str, tuple[dict[str, int], int]]:
        """Per credential: requests counted per group, and 429s, so far."""
        out: dict[str, tuple[dict[str, int], int]] = {}
        for name, budget in zip(self.rc.names, self.rc.budgets, strict=True):
            out[name] = ({g: budget.snapshot(g).requests for g in budget.defaults}, budget.throttled_total())
        return out

    # -- metadata -------------------------------------------------------------------------
    async def _calls(self, start: datetime, end: datetime, stats: DatasetStats) -> None:
        self.progress.start("calls", None)
        for w_start, w_end in windows(start, end, self.settings.archive_window_hours):
            async for page in self.client.list_call_log(w_start, w_end):
                if not page.records:
                    continue
                account = account_of(page.records[0], self.cursor_key)
                with self.runtime.db.tenant(self.org) as session:
                    out = upsert_calls(
                        session,
                        self.runtime.pseudonyms,
                        page.records,
                        account=account,
                        now=self.runtime.clock.now(),
                    )
                stats.listed += len(page.records)
                stats.new += out.new
                stats.updated += out.updated
                stats.unchanged += out.unchanged
                self.progress.advance("calls", len(page.records))
            with self.runtime.db.tenant(self.org) as session:
                advance_cursor(session, self.cursor_key, "calls", w_start, w_end, self.runtime.clock.now())
        self.progress.done("calls")

    async def _messages(self, start: datetime, end: datetime, stats: DatasetStats) -> None:
        self.progress.start("messages", None)
        extensions = [
            e
            for e in await self.client.list_extensions()
            if e.get("type") in MAILBOX_TYPES
            and e.get("status", "Enabled") in ("Enabled", "Disabled", "Frozen")
        ]
        for w_start, w_end in windows(start, end, self.settings.archive_window_hours):
            for ext in extensions:
                ext_id = str(ext["id"])
                async for page in self.client.list_messages(ext_id, w_start, w_end):
                    if not page.records:
                        continue
                    account = account_of(ext, self.cursor_key)
                    with self.runtime.db.tenant(self.org) as session:
                        out = upsert_messages(
                            session,
                            self.runtime.pseudonyms,
                            page.records,
                            account=account,
                            extension_id=ext_id,
                            now=self.runtime.clock.now(),
                            transcriptions=self.settings.archive_transcriptions,
                        )
                    stats.listed += len(page.records)
                    stats.new += out.new
                    stats.updated += out.updated
                    stats.unchanged += out.unchanged
                    self.progress.advance("messages", len(page.records))
            with self.runtime.db.tenant(self.org) as session:
                advance_cursor(session, self.cursor_key, "messages", w_start, w_end, self.runtime.clock.now())
        self.progress.done("messages")

    # -- binaries -------------------------------------------------------------------------
    def _pending(self, kind: str) -> list[str]:
        with self.runtime.db.tenant(self.org) as session:
            return list(
                session.scalars(
                    select(ArchivedObject.id)
                    .where(ArchivedObject.kind == kind, ArchivedObject.status == "pending")
                    .order_by(ArchivedObject.day, ArchivedObject.source_id)
                )
            )

    async def _objects(self, kind: str, stats: DatasetStats, result: RunResult) -> None:
        name = "recordings" if kind == "recording" else "attachments"
        pending = self._pending(kind)
        self.progress.start(name, len(pending))
        for object_id in pending:
            target = self._target(object_id)
            if target is None:
                stats.skipped += 1
                self.progress.advance(name)
                continue
            url, what, candidates, path_for = target
            adopted = self._adopt(object_id, candidates)
            if adopted:
                stats.adopted += 1
                self.progress.advance(name)
                continue
            stored = await self._fetch(object_id, url, what, path_for, stats, name, result, candidates)
            if stored is not None:
                stats.downloaded += 1
                stats.bytes += stored.size
            self.progress.advance(name)
        self.progress.done(name)

    def _target(self, object_id: str) -> tuple[str, str, list[str], Callable[[str | None], str]] | None:
        with self.runtime.db.tenant(self.org) as session:
            obj = session.get_one(ArchivedObject, object_id)
            if obj.kind == "recording":
                call = session.scalars(
                    select(ArchivedCall).where(
                        ArchivedCall.account == obj.account, ArchivedCall.call_id == obj.parent_id
                    )
                ).one_or_none()
                if call is None:
                    return None
                rec = call.raw.get("recording") or {}
                url = rec.get("contentUri") or self.client.recording_content_url(obj.source_id)
                values = {"account": obj.account, "call_id": call.call_id, "recording_id": obj.source_id}
                when, template = call.start_time, self.settings.archive_recording_template
                candidates = [render_path(template, when, ext=e, **values) for e in RECORDING_EXTENSIONS]
                what = f"downloading recording {obj.source_id}"
            else:
                msg = session.scalars(
                    select(ArchivedMessage).where(
                        ArchivedMessage.account == obj.account, ArchivedMessage.message_id == obj.parent_id
                    )
                ).one_or_none()
                if msg is None:
                    return None
                att_id = obj.source_id.split(":", 1)[1]
                att = next((a for a in msg.raw.get("attachments") or [] if str(a.get("id")) == att_id), None)
                if att is None or not att.get("uri"):
                    return None
                url = str(att["uri"])
                values = {"account": obj.account, "message_id": msg.message_id, "attachment_id": att_id}
                when, template = msg.creation_time, self.settings.archive_attachment_template
                candidates = [
                    render_path(template, when, ext=extension_for(att.get("contentType")), **values)
                ]
                what = f"downloading attachment {att_id} of message {msg.message_id}"

        def path_for(content_type: str | None) -> str:
            return render_path(template, when, ext=extension_for(content_type), **values)

        return url, what, candidates, path_for

    def _adopt(self, object_id: str, candidates: list[str]) -> bool:
        """An object already at its final path is whole (it was renamed there only after its
        checks): record it without fetching it again."""
        for path in candidates:
            if self.store.exists(path):
                stored = Stored(path, self.store.size(path), self.store.sha256(path), None)
                self._mark_stored(object_id, stored)
                return True
        return False

    async def _fetch(
        self,
        object_id: str,
        url: str,
        what: str,
        path_for: Callable[[str | None], str],
        stats: DatasetStats,
        name: str,
        result: RunResult,
        candidates: list[str],
    ) -> Stored | None:
        error = ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                stored = await download(
                    self.client,
                    url,
                    what,
                    self.store,
                    path_for,
                    chunk_bytes=self.settings.archive_chunk_bytes,
                    on_bytes=lambda n: self.progress.advance(name, 0, n),
                    resume=candidates,  # a .part a crashed run left is continued with a Range
                )
            except NotFound as exc:
                self._mark_failed(object_id, str(exc), status="missing")
                stats.missing += 1
                result.errors.append(exc.message)
                return None
            except RateLimited as exc:
                error = exc.message
                await self.sleep(exc.retry_after)
            except (DownloadMismatch, Unavailable) as exc:
                error = exc.message
                log.warning("%s (attempt %d of %d)", exc.message, attempt, self.max_attempts)
                await self.sleep(min(60.0, 2.0**attempt))
            else:
                self._mark_stored(object_id, stored)
                return stored
        self._mark_failed(object_id, error, status="pending")
        stats.failed += 1
        result.errors.append(error)
        return None

    def _mark_stored(self, object_id: str, stored: Stored) -> None:
        with self.runtime.db.tenant(self.org) as session:
            obj = session.get_one(ArchivedObject, object_id)
            obj.status = "stored"
            obj.path = stored.path
            obj.size = stored.size
            obj.sha256 = stored.sha256
            obj.content_type = stored.content_type or obj.content_type
            obj.stored_at = self.runtime.clock.now()
            obj.last_error = None

    def _mark_failed(self, object_id: str, error: str, *, status: str) -> None:
        with self.runtime.db.tenant(self.org) as session:
            obj = session.get_one(ArchivedObject, object_id)
            obj.status = status
            obj.attempts += 1
            obj.last_error = error[:500]


def summary_counts(result: RunResult) -> dict[str, Any]:
    return result.as_dict()
