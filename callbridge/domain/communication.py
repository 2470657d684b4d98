"""Communications as callbridge understands them, independent of any platform or CRM.

A :class:`Communication` is what one call session, one message conversation-day, one fax or one
voicemail amounts to. Platforms deliver it in pieces (events, call-log records, late
recordings), often out of order; :func:`merge` folds a newer piece into what is known without
ever losing information (Invariant 4): the piece with the higher :class:`Version` wins a field it
sets, a piece never erases a value with nothing, and a final state is never undone by an older
"in progress" one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime

__all__ = [
    "Communication",
    "CommunicationKind",
    "Direction",
    "Leg",
    "Party",
    "Recording",
    "Stamp",
    "Version",
    "merge",
]


class CommunicationKind(enum.StrEnum):
    call = "call"
    sms = "sms"  # a message conversation on one day, in the owner's time zone
    fax = "fax"
    voicemail = "voicemail"


class Direction(enum.StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


@dataclass(frozen=True)
class Party:
    """One end of a communication: an E.164 number and what the platform called it."""

    phone: str | None = None
    name: str | None = None
    extension_ref: str | None = None  # a pseudonym (keyed HMAC), never the platform's id


@dataclass(frozen=True)
class Recording:
    id: str
    duration_seconds: int | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class Leg:
    started_at: datetime
    duration_seconds: int | None
    result: str | None
    leg_type: str | None = None
    extension_ref: str | None = None


@dataclass(frozen=True, order=True)
class Version:
    """Orders the pieces of one communication: the platform's sequence, then its timestamp."""

    sequence: int = 0
    observed_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.sequence < 0:
            raise ValueError("a sequence number is never negative")


@dataclass(frozen=True, order=True)
class Stamp:
    """Where a field's value came from: a final record or not, and that piece's version."""

    final: bool
    version: Version


# A finished record's outcome stands against a newer piece that only says "ringing".
OUTCOME_FIELDS = frozenset({"result", "ended_at", "duration_seconds"})
MERGED_FIELDS = (
    "owner_ref",
    "direction",
    "started_at",
    "ended_at",
    "duration_seconds",
    "result",
    "from_party",
    "to_party",
    "recording",
    "legs",
)


@dataclass(frozen=True)
class Communication:
    """What is known about one communication; ``None`` means "not known yet".

    A piece fresh from a platform carries one ``version`` for all its fields; once merged,
    ``stamps`` records, per field, which piece the kept value came from.
    """

    kind: CommunicationKind
    platform: str
    source_id: str  # telephony session id, conversation id + day, message id
    owner_ref: str | None = None  # pseudonymised extension the communication belongs to
    direction: Direction | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_seconds: int | None = None
    result: str | None = None
    final: bool = False
    from_party: Party | None = None
    to_party: Party | None = None
    recording: Recording | None = None
    legs: tuple[Leg, ...] | None = None
    message_ids: tuple[str, ...] = ()  # for an SMS conversation-day: every message in it
    version: Version = field(default_factory=Version)
    stamps: tuple[tuple[str, Stamp], ...] = ()

    @property
    def key(self) -> str:
        """The identity a CRM activity is reserved under (one activity per key)."""
        return f"{self.platform}:{self.kind.value}:{self.source_id}"

    @property
    def counterpart(self) -> Party | None:
        """The other side, from the owner's point of view."""
        return self.to_party if self.direction == Direction.outbound else self.from_party

    def facts(self) -> dict[str, object]:
        """Everything known, without the merge bookkeeping (``stamps``)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "stamps"}

    def stamp(self, name: str) -> Stamp:
        return dict(self.stamps).get(name, Stamp(self.final, self.version))


def _rank(name: str, stamp: Stamp) -> tuple[bool, Version]:
    return (stamp.final if name in OUTCOME_FIELDS else False, stamp.version)


def merge(known: Communication, piece: Communication) -> Communication:
    """Fold ``piece`` into ``known``; the result never knows less than either of them.

    Per field, the value from the highest-ranked piece that set it is kept: rank is the
    version, and for the outcome fields a final record outranks any non-final one. Merging is
    commutative, associative and idempotent, so arrival order does not matter.
    """
    if known.key != piece.key:
        raise ValueError(f"cannot merge {piece.key} into {known.key}")
    values: dict[str, object] = {}
    stamps: dict[str, Stamp] = {}
    for name in MERGED_FIELDS:
        candidates = [
            (_rank(name, c.stamp(name)), c.stamp(name), getattr(c, name))
            for c in (known, piece)
            if getattr(c, name) is not None
        ]
        if candidates:
            # ties (same version, different values) break on the value, so order never matters
            _, stamp, value = max(candidates, key=lambda item: (item[0], repr(item[2])))
            values[name], stamps[name] = value, stamp
    values["final"] = known.final or piece.final
    values["message_ids"] = tuple(sorted(set(known.message_ids) | set(piece.message_ids)))
    values["version"] = max(known.version, piece.version)
    values["stamps"] = tuple(sorted(stamps.items()))
    return replace(known, **values)  # type: ignore[arg-type]
