"""Subscriptions and webhook delivery: handshake, fan-out, delays, duplicates, reorder, drops.

Events happen at virtual times (a call's Setup … Disconnected, a message arriving). `pump()`
fans every event that has happened out to the subscriptions that match it and were active at
that time, then sends every delivery that is due. Nothing is sent until `pump()` runs: tests
move the clock and pump; a real server pumps from a background task.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from .errors import RCError, api_error
from .events import SandboxEvent
from .timeutil import iso

if TYPE_CHECKING:
    from .state import SandboxState

__all__ = ["DeliveryRecord", "Subscription", "WebhookHub"]

API = "/restapi/v1.0"


@dataclass
class Subscription:
    id: str
    client_id: str
    owner_extension_id: int
    event_filters: list[str]
    address: str
    verification_token: str | None
    creation_time: datetime
    expires_in: int
    expiration_time: datetime
    status: str = "Active"
    blacklisted_at: datetime | None = None
    blacklist_reason: str | None = None
    first_failure_at: datetime | None = None
    deleted: bool = False

    def alive(self, now: datetime) -> bool:
        return not self.deleted and now < self.expiration_time


@dataclass
class _Pending:
    due_at: datetime
    order: int
    subscription_id: str
    envelope: dict[str, Any]
    duplicate: bool = False


@dataclass
class DeliveryRecord:
    """One delivery attempt, kept for inspection through `/_sandbox/deliveries`."""

    subscription_id: str
    uuid: str
    event: str
    sequence: int | None
    due_at: str
    sent_at: str
    outcome: str  # delivered | failed | dropped | skipped-expired | skipped-blacklisted
    status: int | None = None
    duplicate: bool = False
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class WebhookHub:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.subscriptions: dict[str, Subscription] = {}
        self.events: list[SandboxEvent] = []
        self._next_event = 0  # events[:_next_event] have been fanned out
        self.pending: list[_Pending] = []
        self.log: list[DeliveryRecord] = []
        self.transport: httpx.AsyncBaseTransport | None = None
        self._order = 0
        self._rng = random.Random(f"webhooks:{state.config.webhooks.seed}")
        self._lock = threading.RLock()
        self._pump_lock = asyncio.Lock()

    @property
    def config(self) -> Any:
        return self.state.config.webhooks

    def reseed(self, seed: int) -> None:
        self._rng = random.Random(f"webhooks:{seed}")

    # -- subscriptions ---------------------------------------------------------------------
    def expand_filter(self, flt: str, extension_id: int) -> str:
        path, _, query = flt.partition("?")
        parts = path.split("/")
        for i, part in enumerate(parts):
            if part == "~" and i > 0 and parts[i - 1] == "account":
                parts[i] = self.state.config.account_id
            elif part == "~" and i > 0 and parts[i - 1] == "extension":
                parts[i] = str(extension_id)
        out = "/".join(parts)
        return f"{out}?{query}" if query else out

    def live_for(self, client_id: str, extension_id: int) -> list[Subscription]:
        now = self.state.now()
        return [s for s in self.subscriptions.values()
                if s.alive(now) and s.client_id == client_id
                and s.owner_extension_id == extension_id]

    def get(self, sub_id: str) -> Subscription:
        sub = self.subscriptions.get(sub_id)
        if sub is None or not sub.alive(self.state.now()):
            raise api_error(404, "CMN-102", "Resource for parameter [subscriptionId] is not found",
                            parameter_name="subscriptionId")
        return sub

    async def handshake(self, address: str, verification_token: str | None) -> None:
        """POST with `Validation-Token`; 200 echoing it, ≤ 1024 bytes, within 3 s, or SUB-525."""
        token = secrets.token_urlsafe(24)
        headers = {"Validation-Token": token, "User-Agent": self.config.user_agent}
        if verification_token:
            headers["Verification-Token"] = verification_token
        failure = api_error(400, "SUB-525", "WebHook server response is invalid")
        try:
            async with self._client(self.config.handshake_timeout_seconds) as client:
                resp = await client.post(address, headers=headers, content=b"")
        except httpx.HTTPError as exc:
            raise failure from exc
        size = len(resp.content) + sum(len(k) + len(v) + 4 for k, v in resp.headers.raw)
        echoed = resp.headers.get("Validation-Token", "")
        if (resp.status_code != 200 or not hmac.compare_digest(echoed, token)
                or size > self.config.handshake_max_response_bytes):
            raise failure

    def create(
        self, *, client_id: str, extension_id: int, filters: list[str], address: str,
        verification_token: str | None, expires_in: int,
    ) -> Subscription:
        now = self.state.now()
        with self._lock:
            if len(self.live_for(client_id, extension_id)) >= self.config.max_subscriptions_per_user:
                raise api_error(400, "SUB-505", "Subscriptions limit exceeded")
            sub = Subscription(
                id=self.state.ids.uuid(), client_id=client_id, owner_extension_id=extension_id,
                event_filters=[self.expand_filter(f, extension_id) for f in filters],
                address=address, verification_token=verification_token, creation_time=now,
                expires_in=expires_in, expiration_time=now + timedelta(seconds=expires_in),
            )
            self.subscriptions[sub.id] = sub
            return sub

    def renew(self, sub: Subscription, expires_in: int | None = None) -> Subscription:
        now = self.state.now()
        if expires_in is not None:
            sub.expires_in = expires_in
        sub.expiration_time = now + timedelta(seconds=sub.expires_in)
        return sub

    def render(self, sub: Subscription, api_base: str) -> dict[str, Any]:
        """`SubscriptionInfo`; the verification token is write-only and never echoed."""
        now = self.state.now()
        out: dict[str, Any] = {
            "uri": f"{api_base}{API}/subscription/{sub.id}",
            "id": sub.id,
            "creationTime": iso(sub.creation_time),
            "status": sub.status,
            "eventFilters": list(sub.event_filters),
            "expirationTime": iso(sub.expiration_time),
            "expiresIn": max(0, int((sub.expiration_time - now).total_seconds())),
            "deliveryMode": {"transportType": "WebHook", "encryption": False,
                             "address": sub.address},
        }
        if sub.blacklisted_at is not None:
            out["blacklistedData"] = {"blacklistedAt": iso(sub.blacklisted_at),
                                      "reason": sub.blacklist_reason or "Webhook failures"}
        return out

    # -- events ----------------------------------------------------------------------------
    def publish(self, events: list[SandboxEvent]) -> None:
        """Record events; they are fanned out by `pump()` once the clock has reached them."""
        with self._lock:
            fanned = self.events[: self._next_event]
            rest = self.events[self._next_event:] + list(events)
            rest.sort(key=lambda e: e.time)
            self.events = fanned + rest

    def _candidate_paths(self, event: SandboxEvent) -> list[str]:
        acc = f"{API}/account/{self.state.config.account_id}"
        ext = f"{acc}/extension/{event.extension_id}"
        if event.kind == "telephony":
            return [f"{acc}/telephony/sessions", f"{ext}/telephony/sessions"]
        if event.kind == "message-store":
            return [f"{ext}/message-store"]
        return [f"{ext}/message-store/instant"]

    @staticmethod
    def _matches(flt: str, paths: list[str], attrs: dict[str, str]) -> bool:
        parts = urlsplit(flt)
        if parts.path not in paths:
            return False
        for key, value in parse_qsl(parts.query):
            if key in attrs and attrs[key].lower() != value.lower():
                return False
        return True

    def _fan_out(self, now: datetime) -> None:
        cfg = self.config
        with self._lock:
            while self._next_event < len(self.events) and self.events[self._next_event].time <= now:
                event = self.events[self._next_event]
                self._next_event += 1
                paths = self._candidate_paths(event)
                for sub in list(self.subscriptions.values()):
                    if sub.creation_time > event.time or not sub.alive(event.time):
                        continue
                    flt = next((f for f in sub.event_filters
                                if self._matches(f, paths, event.attrs)), None)
                    if flt is None:
                        continue
                    envelope = {
                        "uuid": str(self._rng.getrandbits(63)),
                        "event": flt,
                        "timestamp": iso(event.time),
                        "subscriptionId": sub.id,
                        "ownerId": str(sub.owner_extension_id),
                        "body": event.body,
                    }
                    delay = cfg.delay_seconds + self._rng.uniform(0, cfg.jitter_seconds)
                    due = event.time + timedelta(seconds=delay)
                    self._enqueue(due, sub.id, envelope, duplicate=False)
                    if cfg.duplicate_rate and self._rng.random() < cfg.duplicate_rate:
                        dup_due = due + timedelta(seconds=cfg.duplicate_delay_seconds)
                        self._enqueue(dup_due, sub.id, envelope, duplicate=True)

    def _enqueue(self, due: datetime, sub_id: str, envelope: dict[str, Any], *,
                 duplicate: bool) -> None:
        self._order += 1
        self.pending.append(_Pending(due, self._order, sub_id, envelope, duplicate))

    def _take_due(self, now: datetime) -> list[_Pending]:
        with self._lock:
            due = sorted((p for p in self.pending if p.due_at <= now),
                         key=lambda p: (p.due_at, p.order))
            taken = {id(p) for p in due}
            self.pending = [p for p in self.pending if id(p) not in taken]
        rate = self.config.reorder_rate
        if rate:
            # Swap neighbouring events (copies of one event stay together) with `rate`.
            groups: list[list[_Pending]] = []
            for item in due:
                if groups and groups[-1][0].envelope["uuid"] == item.envelope["uuid"]:
                    groups[-1].append(item)
                else:
                    groups.append([item])
            i = 0
            while i + 1 < len(groups):
                if self._rng.random() < rate:
                    groups[i], groups[i + 1] = groups[i + 1], groups[i]
                    i += 2
                else:
                    i += 1
            due = [item for group in groups for item in group]
        return due

    def _client(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=timeout)

    async def pump(self) -> list[DeliveryRecord]:
        """Fan out the events that have happened and send every delivery now due."""
        async with self._pump_lock:
            now = self.state.now()
            self._fan_out(now)
            batch = self._take_due(now)
            if not batch:
                return []
            records: list[DeliveryRecord] = []
            async with self._client(self.config.request_timeout_seconds) as client:
                for item in batch:
                    records.append(await self._deliver(client, item, now))
            with self._lock:
                self.log.extend(records)
            return records

    async def _deliver(self, client: httpx.AsyncClient, item: _Pending,
                       now: datetime) -> DeliveryRecord:
        env = item.envelope
        seq = env["body"].get("sequence") if isinstance(env.get("body"), dict) else None
        record = DeliveryRecord(item.subscription_id, env["uuid"], env["event"], seq,
                                iso(item.due_at), iso(now), "delivered", duplicate=item.duplicate)
        sub = self.subscriptions.get(item.subscription_id)
        if sub is None or not sub.alive(now):
            record.outcome = "skipped-expired"
            return record
        if sub.status == "Blacklisted":
            record.outcome = "skipped-blacklisted"
            return record
        if self.config.drop_rate and self._rng.random() < self.config.drop_rate:
            record.outcome = "dropped"
            return record
        headers = {"Content-Type": "application/json; charset=UTF-8",
                   "User-Agent": self.config.user_agent, "Accept": "application/json"}
        if sub.verification_token:
            headers["Verification-Token"] = sub.verification_token
        try:
            resp = await client.post(sub.address, content=json.dumps(env).encode(),
                                     headers=headers)
            record.status = resp.status_code
            ok = 200 <= resp.status_code < 300
        except httpx.HTTPError as exc:
            record.error = f"{type(exc).__name__}: {exc}"
            ok = False
        if ok:
            sub.first_failure_at = None
            return record
        record.outcome = "failed"
        if sub.first_failure_at is None:
            sub.first_failure_at = now
        elif (now - sub.first_failure_at).total_seconds() >= self.config.blacklist_after_seconds:
            sub.status = "Blacklisted"
            sub.blacklisted_at = now
            sub.blacklist_reason = "Webhook delivery failed for too long"
        return record

    def stats(self) -> dict[str, int]:
        out: dict[str, int] = {"pending": len(self.pending),
                               "events_waiting": len(self.events) - self._next_event}
        for rec in self.log:
            out[rec.outcome] = out.get(rec.outcome, 0) + 1
        return out


def require(condition: bool, error: RCError) -> None:
    if not condition:
        raise error
