"""The whole sandbox account in memory: directory, call log, recordings, messages, auth."""

from __future__ import annotations

import bisect
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from callbridge.clock import Clock, SystemClock, VirtualClock

from .config import RingCentralSandboxConfig
from .faults import FaultInjector
from .models import CallRecord, Extension, IdFactory, Message, Recording
from .ratelimit import RateLimiter
from .tokens import TokenStore
from .webhooks import WebhookHub

__all__ = ["AuthCode", "SandboxState"]


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    extension_id: int
    expires_at: datetime
    code_challenge: str | None
    code_challenge_method: str | None


class SandboxState:
    def __init__(self, config: RingCentralSandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.ids = IdFactory(0)
        self.extensions: dict[int, Extension] = {}
        self.calls: dict[str, CallRecord] = {}
        self._calls_by_start: list[tuple[datetime, str]] = []
        self.recordings: dict[str, Recording] = {}
        self.messages: dict[int, Message] = {}
        self.attachment_owner: dict[int, int] = {}
        self.tokens = TokenStore(config.auth, clock)
        self.limiter = RateLimiter(config.rate_limits, clock)
        self.faults = FaultInjector(config.faults)
        self.webhooks = WebhookHub(self)
        self.auth_codes: dict[str, AuthCode] = {}
        self.request_log: deque[dict[str, Any]] = deque(maxlen=config.max_request_log)
        self.request_count = 0
        self.call_log_epoch = 0
        self.message_epoch = 0
        self.lock = threading.RLock()

    # -- clock -----------------------------------------------------------------------------
    @property
    def virtual(self) -> bool:
        return isinstance(self.clock, VirtualClock)

    def now(self) -> datetime:
        return self.clock.now()

    # -- directory -------------------------------------------------------------------------
    def add_extension(self, ext: Extension) -> Extension:
        with self.lock:
            self.extensions[ext.id] = ext
        return ext

    def extension_by_number(self, number: str) -> Extension | None:
        return next((e for e in self.extensions.values() if e.number == number), None)

    def admin_extension(self) -> Extension:
        """The first extension; an empty account gets one admin user on first use."""
        if not self.extensions:
            from .generator import seed_extensions  # generator builds on this module

            seed_extensions(self, 1, seed=0, start=self.now())
        return next(iter(self.extensions.values()))

    # -- call log --------------------------------------------------------------------------
    def add_call(self, call: CallRecord, recording: Recording | None = None) -> CallRecord:
        with self.lock:
            if recording is not None:
                self.recordings[recording.id] = recording
                call.recording_id = recording.id
            self.calls[call.id] = call
            bisect.insort(self._calls_by_start, (call.start_time, call.id))
        return call

    def calls_newest_first(self) -> list[CallRecord]:
        with self.lock:
            return [self.calls[cid] for _, cid in reversed(self._calls_by_start)]

    def call_visible(self, call: CallRecord, now: datetime) -> bool:
        return call.visible_at <= now

    def recording_visible(self, call: CallRecord, now: datetime) -> Recording | None:
        """The call's recording once it has appeared (minutes after the call ends)."""
        if call.recording_id is None:
            return None
        rec = self.recordings.get(call.recording_id)
        if rec is None or rec.available_at > now:
            return None
        return rec

    def call_modified_at(self, call: CallRecord, now: datetime) -> datetime:
        """Last change visible at `now`: the call appearing, its recording, edits, deletion."""
        times = [call.visible_at]
        rec = self.recordings.get(call.recording_id) if call.recording_id else None
        if rec is not None and rec.available_at <= now:
            times.append(rec.available_at)
        times.extend(t for t in call.edits if t <= now)
        if call.deleted_at is not None and call.deleted_at <= now:
            times.append(call.deleted_at)
        return max(times)

    # -- messages --------------------------------------------------------------------------
    def add_message(self, msg: Message) -> Message:
        with self.lock:
            self.messages[msg.id] = msg
            for att in msg.attachments:
                self.attachment_owner[att.id] = msg.id
        return msg

    def message_availability(self, msg: Message, now: datetime) -> str | None:
        """Alive, Deleted, Purged (after `message_purge_after_days`), or None once removed."""
        if msg.deleted_at is None or msg.deleted_at > now:
            return "Alive"
        purge_at = msg.deleted_at + timedelta(days=self.config.message_purge_after_days)
        if now < purge_at:
            return "Deleted"
        if now < purge_at + timedelta(days=self.config.message_remove_after_days):
            return "Purged"
        return None

    def message_modified_at(self, msg: Message, now: datetime) -> datetime:
        times = [msg.creation_time, *(t for t in msg.edits if t <= now)]
        if msg.deleted_at is not None and msg.deleted_at <= now:
            times.append(msg.deleted_at)
            purge_at = msg.deleted_at + timedelta(days=self.config.message_purge_after_days)
            if purge_at <= now:
                times.append(purge_at)
        return max(times)

    # -- urls ------------------------------------------------------------------------------
    def api_base(self, request_base: str) -> str:
        return (self.config.base_url or request_base).rstrip("/")

    def media_base(self, request_base: str) -> str:
        return (self.config.media_base_url or self.config.base_url or request_base).rstrip("/")

    # -- summary ---------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {
            "extensions": len(self.extensions),
            "calls": len(self.calls),
            "recordings": len(self.recordings),
            "messages": len(self.messages),
            "subscriptions": len(self.webhooks.subscriptions),
            "requests_served": self.request_count,
        }


def default_clock(clock: Clock | None) -> Clock:
    return clock if clock is not None else SystemClock()
