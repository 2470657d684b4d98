"""The platform contract (Decision 13): what every phone/meeting platform offers callbridge.

A platform lists records of a dataset changed or started since a cursor, fetches one record,
subscribes to change notifications, verifies a delivery, and normalises a record. The archive
and logging pipelines are written against this contract; RingCentral implements it first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "Delivery",
    "NormalisedRecord",
    "Page",
    "Platform",
    "PlatformError",
    "Subscription",
]

from callbridge.errors import CallbridgeError


class PlatformError(CallbridgeError):
    """Base of the typed errors a platform client raises (see each platform's errors module)."""

    code = "platform_error"


@dataclass(frozen=True)
class Page:
    """One page of a listing: the records, and the cursor to continue from (None: no more)."""

    records: list[dict[str, Any]]
    next_cursor: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class NormalisedRecord:
    """A platform record reduced to what every pipeline needs; ``raw`` keeps it unchanged."""

    dataset: str  # "calls" | "messages" | …
    platform_id: str
    started_at: datetime
    direction: str | None
    kind: str | None  # Voice, Fax, SMS, VoiceMail …
    result: str | None
    extension_id: str | None  # the platform's id: pseudonymise before storing
    media: list[tuple[str, str]]  # (media id, media URL)
    raw: dict[str, Any]


@dataclass(frozen=True)
class Subscription:
    id: str
    expires_at: datetime
    filters: list[str]


@dataclass(frozen=True)
class Delivery:
    """A webhook delivery as received: headers and body bytes."""

    headers: Mapping[str, str]
    body: bytes


class Platform(Protocol):
    """What a platform client implements; datasets are named by the platform module."""

    name: str

    def list_since(self, dataset: str, since: datetime, until: datetime) -> AsyncIterator[Page]: ...

    async def fetch_one(self, dataset: str, platform_id: str) -> dict[str, Any]: ...

    async def subscribe(self, address: str, filters: list[str], verification_token: str) -> Subscription: ...

    def verify_delivery(self, delivery: Delivery, verification_token: str) -> bool: ...

    def normalise(self, dataset: str, record: dict[str, Any]) -> NormalisedRecord: ...
