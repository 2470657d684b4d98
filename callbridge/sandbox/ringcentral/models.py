"""In-memory records of the sandbox account (plain dataclasses; rendering lives per endpoint)."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "Attachment",
    "CallLeg",
    "CallRecord",
    "Extension",
    "IdFactory",
    "Message",
    "Party",
    "Recording",
]

_ALNUM = string.ascii_letters + string.digits


class IdFactory:
    """Deterministic identifiers for a seed: call-record ids, numeric ids, session ids."""

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(f"ids:{seed}")
        self._numeric = 60_000_000_000 + self._rng.randrange(1_000_000) * 1000
        self._seen: set[str] = set()

    def call_id(self) -> str:
        while True:
            value = "".join(self._rng.choice(_ALNUM) for _ in range(15))
            if value not in self._seen:
                self._seen.add(value)
                return value

    def numeric(self) -> int:
        """A RingCentral-looking int64 id (ends in 004 like many real ones)."""
        self._numeric += 1000 + self._rng.randrange(1, 999)
        return self._numeric * 1000 + 4

    def session_id(self) -> str:
        return str(self.numeric() * 10 + 8)

    def telephony_session_id(self) -> str:
        return "s-" + "".join(self._rng.choice("0123456789abcdef") for _ in range(32))

    def conversation_id(self) -> int:
        """Conversation ids exceed 2**53 in real data: keep them that big."""
        return self._rng.randrange(2**62, 2**63 - 1)

    def uuid(self) -> str:
        hexes = "".join(self._rng.choice("0123456789abcdef") for _ in range(32))
        return f"{hexes[:8]}-{hexes[8:12]}-4{hexes[13:16]}-a{hexes[17:20]}-{hexes[20:]}"


@dataclass
class Extension:
    id: int
    number: str
    first_name: str
    last_name: str
    email: str
    phone_number: str
    creation_time: datetime
    type: str = "User"
    status: str = "Enabled"
    timezone: str = "America/New_York"
    department: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class Party:
    phone_number: str | None = None
    extension_number: str | None = None
    extension_id: str | None = None
    name: str | None = None
    location: str | None = None


@dataclass
class CallLeg:
    start_time: datetime
    duration_ms: int
    direction: str
    action: str
    result: str
    leg_type: str
    master: bool
    from_: Party
    to: Party
    transport: str = "PSTN"
    reason: str | None = None
    extension_id: int | None = None
    recording_id: str | None = None


@dataclass
class CallRecord:
    id: str
    session_id: str
    telephony_session_id: str
    extension_id: int
    start_time: datetime
    duration_ms: int
    direction: str
    action: str
    result: str
    from_: Party
    to: Party
    type: str = "Voice"
    transport: str = "PSTN"
    reason: str | None = None
    internal_type: str | None = "Usual"
    legs: list[CallLeg] = field(default_factory=list)
    recording_id: str | None = None
    short_recording: bool = False
    message_id: int | None = None
    message_type: str | None = None
    billing: tuple[float, float] | None = None
    party_id: str | None = None
    deleted_at: datetime | None = None
    visible_delay: timedelta = timedelta(seconds=20)
    edits: list[datetime] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def end_time(self) -> datetime:
        return self.start_time + timedelta(milliseconds=self.duration_ms)

    @property
    def visible_at(self) -> datetime:
        return self.end_time + self.visible_delay


@dataclass
class Recording:
    id: str
    call_id: str
    type: str  # Automatic | OnDemand
    content_type: str
    duration: int
    available_at: datetime
    size: int | None = None  # None: by duration


@dataclass
class Attachment:
    id: int
    type: str
    content_type: str
    file_name: str | None = None
    vm_duration: int | None = None
    size: int | None = None
    height: int | None = None
    width: int | None = None
    text: str | None = None


@dataclass
class Message:
    id: int
    extension_id: int
    type: str
    direction: str
    from_: Party
    to: list[Party]
    creation_time: datetime
    subject: str | None = None
    read_status: str = "Unread"
    priority: str = "Normal"
    message_status: str = "Received"
    conversation_id: int | None = None
    attachments: list[Attachment] = field(default_factory=list)
    fax_page_count: int | None = None
    fax_resolution: str | None = None
    vm_transcription_status: str | None = None
    deleted_at: datetime | None = None
    edits: list[datetime] = field(default_factory=list)
