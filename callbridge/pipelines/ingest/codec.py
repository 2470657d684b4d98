"""A :class:`Communication` as JSON (the ``communications.data`` column) and back, losslessly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callbridge.domain.communication import (
    Communication,
    CommunicationKind,
    Direction,
    Leg,
    Party,
    Recording,
    Stamp,
    Version,
)

__all__ = ["decode", "encode"]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _version(v: Version) -> dict[str, Any]:
    return {"sequence": v.sequence, "observed_at": _time(v.observed_at)}


def _unversion(d: dict[str, Any]) -> Version:
    return Version(int(d.get("sequence", 0)), _parse(d.get("observed_at")))


def _party(p: Party | None) -> dict[str, Any] | None:
    return None if p is None else {"phone": p.phone, "name": p.name, "extension_ref": p.extension_ref}


def _unparty(d: Any) -> Party | None:
    return None if not isinstance(d, dict) else Party(d.get("phone"), d.get("name"), d.get("extension_ref"))


def encode(c: Communication) -> dict[str, Any]:
    """JSON-ready dict of every field, the per-field merge stamps included."""
    return {
        "kind": c.kind.value,
        "platform": c.platform,
        "source_id": c.source_id,
        "owner_ref": c.owner_ref,
        "direction": c.direction.value if c.direction else None,
        "started_at": _time(c.started_at),
        "ended_at": _time(c.ended_at),
        "duration_seconds": c.duration_seconds,
        "result": c.result,
        "final": c.final,
        "from_party": _party(c.from_party),
        "to_party": _party(c.to_party),
        "recording": None
        if c.recording is None
        else {
            "id": c.recording.id,
            "duration_seconds": c.recording.duration_seconds,
            "content_type": c.recording.content_type,
        },
        "legs": None
        if c.legs is None
        else [
            {
                "started_at": _time(leg.started_at),
                "duration_seconds": leg.duration_seconds,
                "result": leg.result,
                "leg_type": leg.leg_type,
                "extension_ref": leg.extension_ref,
            }
            for leg in c.legs
        ],
        "message_ids": list(c.message_ids),
        "version": _version(c.version),
        "stamps": [[name, {"final": s.final, "version": _version(s.version)}] for name, s in c.stamps],
    }


def decode(d: dict[str, Any]) -> Communication:
    rec = d.get("recording")
    legs = d.get("legs")
    return Communication(
        kind=CommunicationKind(d["kind"]),
        platform=d["platform"],
        source_id=d["source_id"],
        owner_ref=d.get("owner_ref"),
        direction=Direction(d["direction"]) if d.get("direction") else None,
        started_at=_parse(d.get("started_at")),
        ended_at=_parse(d.get("ended_at")),
        duration_seconds=d.get("duration_seconds"),
        result=d.get("result"),
        final=bool(d.get("final")),
        from_party=_unparty(d.get("from_party")),
        to_party=_unparty(d.get("to_party")),
        recording=None
        if not rec
        else Recording(rec["id"], rec.get("duration_seconds"), rec.get("content_type")),
        legs=None
        if legs is None
        else tuple(
            Leg(
                started_at=_parse(leg["started_at"]),  # type: ignore[arg-type]
                duration_seconds=leg.get("duration_seconds"),
                result=leg.get("result"),
                leg_type=leg.get("leg_type"),
                extension_ref=leg.get("extension_ref"),
            )
            for leg in legs
        ),
        message_ids=tuple(d.get("message_ids") or ()),
        version=_unversion(d.get("version") or {}),
        stamps=tuple(
            (name, Stamp(bool(s["final"]), _unversion(s["version"]))) for name, s in d.get("stamps") or []
        ),
    )
