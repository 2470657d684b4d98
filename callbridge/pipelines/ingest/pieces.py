"""From stored events and fetched records to Communication pieces (pseudonyms computed here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from callbridge.domain.communication import Communication
from callbridge.platforms.ringcentral.normalise import call_log_piece, message_piece, telephony_piece, zone

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["call_pieces", "message_pieces", "telephony_pieces"]


def _pseudonymiser(runtime: Runtime, session: Any) -> Any:
    cache: dict[str, str] = {}

    def pseudonym(extension_id: str) -> str:
        if extension_id not in cache:
            cache[extension_id] = runtime.pseudonyms.pseudonym(session, "extension", extension_id)
        return cache[extension_id]

    return pseudonym


def telephony_pieces(
    runtime: Runtime, organization_id: str, body: dict[str, Any], owner_id: str | None
) -> list[Communication]:
    with runtime.db.tenant(organization_id) as session:
        piece = telephony_piece(body, _pseudonymiser(runtime, session), owner_id=owner_id)
    return [piece] if piece is not None else []


def call_pieces(
    runtime: Runtime, organization_id: str, records: Iterable[dict[str, Any]]
) -> list[Communication]:
    with runtime.db.tenant(organization_id) as session:
        pseudonym = _pseudonymiser(runtime, session)
        return [p for p in (call_log_piece(r, pseudonym) for r in records) if p is not None]


def message_pieces(
    runtime: Runtime,
    organization_id: str,
    records: Iterable[tuple[str | None, dict[str, Any]]],
    zones: Mapping[str, ZoneInfo],
) -> list[Communication]:
    """``records`` are ``(owner extension id, message record)`` pairs; ``zones`` by extension id."""
    with runtime.db.tenant(organization_id) as session:
        pseudonym = _pseudonymiser(runtime, session)
        out = []
        for owner, record in records:
            owner = owner or (str(record["extensionId"]) if record.get("extensionId") else None)
            piece = message_piece(
                record, pseudonym, owner_id=owner, owner_zone=zones.get(owner or "", zone(None))
            )
            if piece is not None:
                out.append(piece)
        return out
