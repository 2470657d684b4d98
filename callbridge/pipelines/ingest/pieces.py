"""From stored events and fetched records to Communication pieces (pseudonyms computed here).

Data minimisation: an SMS the owner's logging preferences do not want (SMS logging off, or a
conversation not among the chosen ones) is dropped here, right after normalising: it is neither
stored as a communication nor sent to a CRM; the inbox event's raw body is dropped as for any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from callbridge.domain.communication import Communication, CommunicationKind
from callbridge.pipelines.ingest.platform import fallback_zone
from callbridge.pipelines.logging.preferences import sms_wanted
from callbridge.platforms.ringcentral.normalise import call_log_piece, message_piece, telephony_piece

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
        default_zone: ZoneInfo | None = None
        decided: dict[tuple[str | None, str | None], bool] = {}
        out = []
        for owner, record in records:
            owner = owner or (str(record["extensionId"]) if record.get("extensionId") else None)
            owner_zone = zones.get(owner or "")
            if owner_zone is None:
                default_zone = default_zone or fallback_zone(session, None)
                owner_zone = default_zone
            piece = message_piece(record, pseudonym, owner_id=owner, owner_zone=owner_zone)
            if piece is None:
                continue
            if piece.kind is CommunicationKind.sms:
                party = piece.counterpart
                key = (piece.owner_ref, party.phone if party else None)
                if key not in decided:
                    decided[key] = sms_wanted(runtime, session, piece)[0]
                if not decided[key]:
                    continue  # not wanted: not kept beyond normalising
            out.append(piece)
        return out
