"""Event bodies the sandbox publishes: telephony sessions and message-store changes (§6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .models import CallRecord, Message, Party
from .timeutil import iso

__all__ = ["SandboxEvent", "message_events", "telephony_events"]


@dataclass
class SandboxEvent:
    """Something that happened at `time`, published to every matching subscription."""

    time: datetime
    kind: str  # telephony | message-store | instant
    extension_id: int
    body: dict[str, Any]
    attrs: dict[str, str] = field(default_factory=dict)  # for filter query options


def _short(p: Party) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if p.phone_number or p.extension_number:
        out["phoneNumber"] = p.phone_number or p.extension_number
    if p.name:
        out["name"] = p.name
    if p.extension_id:
        out["extensionId"] = p.extension_id
    return out


def _status_codes(call: CallRecord) -> list[tuple[str, float]]:
    """(status code, seconds after start) for the party of the call's extension."""
    total = call.duration_ms / 1000
    ring = min(6.0, max(total / 4, 0.5))
    answered = call.result in ("Accepted", "Call connected")
    codes: list[tuple[str, float]] = [("Setup", 0.0), ("Proceeding", 0.3)]
    if answered:
        codes.append(("Answered", ring))
    elif call.result == "Voicemail":
        codes.append(("VoiceMail", ring))
    codes.append(("Disconnected", total))
    return codes


def telephony_events(call: CallRecord, account_id: str, server_id: str) -> list[SandboxEvent]:
    """Setup → Proceeding → Answered/VoiceMail → Disconnected, `sequence` 1, 2, 3 …"""
    missed = call.result in ("Missed", "Voicemail")
    events = []
    for seq, (code, offset) in enumerate(_status_codes(call), start=1):
        when = call.start_time + timedelta(seconds=offset)
        party: dict[str, Any] = {
            "accountId": account_id,
            "extensionId": str(call.extension_id),
            "id": f"p-{call.telephony_session_id[2:]}-1",
            "direction": call.direction,
            "to": _short(call.to),
            "from": _short(call.from_),
            "status": {"code": code, "rcc": False},
            "park": {},
            "missedCall": missed and code == "Disconnected",
            "standAlone": False,
            "muted": False,
        }
        if call.recording_id and code == "Answered":
            party["recordings"] = [{"id": call.recording_id, "active": True}]
        body = {
            "sequence": seq,
            "sessionId": call.session_id,
            "telephonySessionId": call.telephony_session_id,
            "serverId": server_id,
            "eventTime": iso(when),
            "origin": {"type": "Call"},
            "parties": [party],
            "accountId": account_id,
            "extensionId": str(call.extension_id),
        }
        attrs = {"direction": call.direction,
                 "missedCall": "true" if party["missedCall"] else "false",
                 "statusCode": code}
        events.append(SandboxEvent(when, "telephony", call.extension_id, body, attrs))
    return events


def message_events(msg: Message, record_as_event: dict[str, Any]) -> list[SandboxEvent]:
    """A `/message-store` change notice, plus the `/message-store/instant` body for inbound SMS."""
    change: dict[str, Any] = {"type": msg.type, "newCount": 1, "newMessageIds": [msg.id]}
    body = {"extensionId": str(msg.extension_id), "lastUpdated": iso(msg.creation_time),
            "changes": [change], "ownerId": str(msg.extension_id)}
    attrs = {"type": msg.type, "direction": msg.direction}
    events = [SandboxEvent(msg.creation_time, "message-store", msg.extension_id, body, attrs)]
    if msg.type == "SMS" and msg.direction == "Inbound":
        events.append(SandboxEvent(msg.creation_time, "instant", msg.extension_id,
                                   record_as_event, attrs))
    return events
