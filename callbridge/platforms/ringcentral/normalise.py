"""RingCentral events and records → :class:`~callbridge.domain.communication.Communication` pieces.

Pure functions: extension ids go through the ``pseudonym`` callable given (a keyed HMAC), so no
real id leaves this module; numbers become E.164 (short extension numbers stay out).

Versions decide the merge (Invariant 4):

* a telephony event is ``Version(sequence, eventTime)``;
* a call-log record is ``Version(CALL_LOG_SEQUENCE, lastModifiedTime)``: the platform's record
  of a finished call outranks every event of its session;
* a message of an SMS conversation-day ranks *earlier messages higher*
  (``Version(SMS_SEQUENCE_BASE - creation seconds)``), so the day's first message gives the
  start time, direction and parties however the messages arrive; ``message_ids`` is a union.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callbridge.domain.communication import (
    Communication,
    CommunicationKind,
    Direction,
    Leg,
    Party,
    Recording,
    Version,
)
from callbridge.domain.phone import InvalidPhoneNumber, parse_phone

__all__ = [
    "CALL_LOG_SEQUENCE",
    "PLATFORM",
    "SMS_SEQUENCE_BASE",
    "Pseudonym",
    "call_log_piece",
    "message_piece",
    "parse_time",
    "telephony_piece",
    "zone",
]

PLATFORM = "ringcentral"
CALL_LOG_SEQUENCE = 1 << 40
SMS_SEQUENCE_BASE = 1 << 36  # > any epoch second for millennia
Pseudonym = Callable[[str], str]

# telephony status codes that say how the call went (others only say "still going")
_FINAL_CODES = {"Disconnected", "Gone"}


def parse_time(value: Any) -> datetime | None:
    """RingCentral times (``…Z``, ``…+0000``) as aware UTC datetimes; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # +0000 → +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def zone(name: str | None) -> ZoneInfo:
    """An IANA zone by name (regionalSettings.timezone.name); UTC when unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def _e164(number: Any) -> str | None:
    if not isinstance(number, str) or len(number.strip().lstrip("+")) < 7:
        return None  # absent, or a short extension number ("101")
    try:
        return parse_phone(number).e164
    except InvalidPhoneNumber:
        return None


def _party(data: Any, pseudonym: Pseudonym) -> Party | None:
    if not isinstance(data, dict):
        return None
    ext = data.get("extensionId")
    party = Party(
        phone=_e164(data.get("phoneNumber")),
        name=data.get("name") or None,
        extension_ref=pseudonym(str(ext)) if ext not in (None, "") else None,
    )
    return party if party != Party() else None


def _direction(value: Any, from_party: Party | None, to_party: Party | None) -> Direction | None:
    if from_party and to_party and from_party.extension_ref and to_party.extension_ref:
        return Direction.internal
    if isinstance(value, str) and value.lower() in ("inbound", "outbound"):
        return Direction(value.lower())
    return None


def _owner_party(body: dict[str, Any], owner_id: str | None) -> dict[str, Any] | None:
    parties = [p for p in body.get("parties") or [] if isinstance(p, dict)]
    wanted = owner_id or body.get("extensionId")
    for party in parties:
        if wanted is not None and str(party.get("extensionId")) == str(wanted):
            return party
    return next((p for p in parties if p.get("extensionId")), parties[0] if parties else None)


def telephony_piece(
    body: dict[str, Any], pseudonym: Pseudonym, *, owner_id: str | None = None
) -> Communication | None:
    """One telephony-session event (§6) → a call piece; None when it names no session."""
    session = body.get("telephonySessionId")
    if not session:
        return None
    party = _owner_party(body, owner_id)
    if party is None:
        return None
    when = parse_time(body.get("eventTime"))
    sequence = body.get("sequence")
    version = Version(int(sequence) if isinstance(sequence, int) and sequence >= 0 else 0, when)
    code = str((party.get("status") or {}).get("code") or "")
    from_party, to_party = _party(party.get("from"), pseudonym), _party(party.get("to"), pseudonym)
    direction = _direction(party.get("direction"), from_party, to_party)
    result: str | None = None
    if code == "Answered":
        result = "Call connected" if direction == Direction.outbound else "Accepted"
    elif code == "VoiceMail":
        result = "Voicemail"
    elif code in _FINAL_CODES and party.get("missedCall"):
        result = "Missed"
    recordings = [r for r in party.get("recordings") or [] if isinstance(r, dict) and r.get("id")]
    owner = party.get("extensionId") or body.get("extensionId") or owner_id
    return Communication(
        kind=CommunicationKind.call,
        platform=PLATFORM,
        source_id=str(session),
        owner_ref=pseudonym(str(owner)) if owner else None,
        direction=direction,
        started_at=when if code == "Setup" else None,
        ended_at=when if code in _FINAL_CODES else None,
        result=result,
        final=code in _FINAL_CODES,
        from_party=from_party,
        to_party=to_party,
        recording=Recording(str(recordings[0]["id"])) if recordings else None,
        version=version,
    )


def _recording(data: Any) -> Recording | None:
    if isinstance(data, dict) and data.get("id"):
        return Recording(str(data["id"]))
    return None


def _extension_ref(data: Any, pseudonym: Pseudonym) -> str | None:
    if isinstance(data, dict) and data.get("id") not in (None, ""):
        return pseudonym(str(data["id"]))
    return None


def call_log_piece(record: dict[str, Any], pseudonym: Pseudonym) -> Communication | None:
    """A call-log record (Detailed view) → a call piece; faxes are left to the message store."""
    if record.get("type") == "Fax":
        return None
    session = record.get("telephonySessionId") or (
        f"session:{record['sessionId']}" if record.get("sessionId") else None
    )
    started = parse_time(record.get("startTime"))
    if not session or started is None:
        return None
    duration = record.get("duration")
    duration = int(duration) if isinstance(duration, int | float) else None
    result = record.get("result") or None
    final = result not in (None, "In Progress") and record.get("finished", True) is not False
    from_party = _party(record.get("from"), pseudonym)
    to_party = _party(record.get("to"), pseudonym)
    legs = []
    for leg in record.get("legs") or []:
        leg_start = parse_time(leg.get("startTime")) if isinstance(leg, dict) else None
        if leg_start is None:
            continue
        leg_duration = leg.get("duration")
        legs.append(
            Leg(
                started_at=leg_start,
                duration_seconds=int(leg_duration) if isinstance(leg_duration, int | float) else None,
                result=leg.get("result") or None,
                leg_type=leg.get("legType") or None,
                extension_ref=_extension_ref(leg.get("extension"), pseudonym),
            )
        )
    recording = _recording(record.get("recording")) or next(
        (r for r in (_recording(leg.get("recording")) for leg in record.get("legs") or []) if r), None
    )
    modified = parse_time(record.get("lastModifiedTime")) or started
    return Communication(
        kind=CommunicationKind.call,
        platform=PLATFORM,
        source_id=str(session),
        owner_ref=_extension_ref(record.get("extension"), pseudonym),
        direction=_direction(record.get("direction"), from_party, to_party),
        started_at=started,
        ended_at=started + timedelta(seconds=duration) if final and duration is not None else None,
        duration_seconds=duration if final else None,
        result=result,
        final=final,
        from_party=from_party,
        to_party=to_party,
        recording=recording,
        legs=tuple(legs) or None,
        version=Version(CALL_LOG_SEQUENCE, modified),
    )


def _first_to(record: dict[str, Any]) -> Any:
    to = record.get("to")
    if isinstance(to, list):
        return to[0] if to else None
    return to


def message_piece(
    record: dict[str, Any],
    pseudonym: Pseudonym,
    *,
    owner_id: str | None,
    owner_zone: ZoneInfo,
) -> Communication | None:
    """A message-store record → an SMS conversation-day, fax or voicemail piece (None: other)."""
    kind = {
        "SMS": CommunicationKind.sms,
        "Fax": CommunicationKind.fax,
        "VoiceMail": CommunicationKind.voicemail,
    }
    mtype = record.get("type")
    message_id = record.get("id")
    created = parse_time(record.get("creationTime"))
    if mtype not in kind or message_id in (None, "") or created is None:
        return None
    if record.get("availability") in ("Deleted", "Purged"):
        return None
    owner = owner_id or record.get("extensionId")
    owner_ref = pseudonym(str(owner)) if owner not in (None, "") else None
    from_party = _party(record.get("from"), pseudonym)
    to_party = _party(_first_to(record), pseudonym)
    direction = _direction(record.get("direction"), from_party, to_party)
    modified = parse_time(record.get("lastModifiedTime")) or created
    if kind[mtype] is CommunicationKind.sms:
        counterpart = to_party if direction == Direction.outbound else from_party
        conversation = (record.get("conversation") or {}).get("id") or record.get("conversationId")
        if conversation in (None, ""):
            conversation = f"number:{counterpart.phone if counterpart and counterpart.phone else 'unknown'}"
        day = created.astimezone(owner_zone).date().isoformat()
        return Communication(
            kind=CommunicationKind.sms,
            platform=PLATFORM,
            source_id=f"{owner_ref or 'account'}:{conversation}:{day}",
            owner_ref=owner_ref,
            direction=direction,
            started_at=created,
            from_party=from_party,
            to_party=to_party,
            message_ids=(str(message_id),),
            version=Version(max(0, SMS_SEQUENCE_BASE - int(created.timestamp())), created),
        )
    status = record.get("messageStatus") or None
    recording = None
    duration = None
    if kind[mtype] is CommunicationKind.voicemail:
        audio = next(
            (
                a
                for a in record.get("attachments") or []
                if isinstance(a, dict) and a.get("type") == "AudioRecording"
            ),
            None,
        )
        if audio is not None:
            vm = audio.get("vmDuration")
            duration = int(vm) if isinstance(vm, int | float) else None
            recording = Recording(str(audio.get("id")), duration, audio.get("contentType") or None)
    final = status not in ("Queued",)
    return Communication(
        kind=kind[mtype],
        platform=PLATFORM,
        source_id=str(message_id),
        owner_ref=owner_ref,
        direction=direction,
        started_at=created,
        duration_seconds=duration,
        result=status,
        final=final,
        from_party=from_party,
        to_party=to_party,
        recording=recording,
        message_ids=(str(message_id),),
        version=Version(0, modified),
    )
