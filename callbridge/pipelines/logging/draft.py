"""From a :class:`Communication` (+ preferences, a person's notes) to the :class:`ActivityDraft`.

Only what the preferences include goes into the draft: no recording link when links are off, no
notes when notes are off. Body sections (Decision 6): ``details`` (who, when, how long, result),
``recording``, ``messages`` (an SMS conversation-day, one line per message) and ``notes``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from callbridge.connectors.base import ActivityDraft, ActivityKind, Connector, ContactMatch
from callbridge.domain.communication import Communication, CommunicationKind, Direction
from callbridge.pipelines.logging.preferences import Preferences

__all__ = ["ACTIVITY_KINDS", "build_draft", "desired_hash", "render_subject"]

ACTIVITY_KINDS: Mapping[CommunicationKind, ActivityKind] = {
    CommunicationKind.call: "call",
    CommunicationKind.sms: "message",
    CommunicationKind.fax: "fax",
    CommunicationKind.voicemail: "voicemail",
}
KIND_WORDS = {"call": "call", "sms": "SMS conversation", "fax": "fax", "voicemail": "voicemail"}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _counterpart(comm: Communication) -> tuple[str, str]:
    party = comm.counterpart
    number = (party.phone if party else None) or "unknown number"
    return ((party.name if party and party.name else number), number)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "unknown"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def render_subject(comm: Communication, prefs: Preferences, day: str) -> str:
    who, number = _counterpart(comm)
    direction = comm.direction.value if comm.direction else ""
    values = _Blank(
        direction=direction, direction_title=direction.title(), kind=comm.kind.value,
        kind_title=KIND_WORDS[comm.kind.value], counterpart=who, number=number, day=day,
        with_or_from="to" if comm.direction is Direction.outbound else "from",
        duration=_duration(comm.duration_seconds), result=comm.result or "",
    )
    template = prefs.sms_subject_template if comm.kind is CommunicationKind.sms else prefs.subject_template
    subject = " ".join(template.format_map(values).split())
    return subject[:255] or f"{KIND_WORDS[comm.kind.value]} {number}"


def _details(comm: Communication) -> str:
    lines = []
    if comm.from_party and comm.from_party.phone:
        lines.append(f"From: {comm.from_party.phone}")
    if comm.to_party and comm.to_party.phone:
        lines.append(f"To: {comm.to_party.phone}")
    if comm.kind is not CommunicationKind.sms:
        lines.append(f"Duration: {_duration(comm.duration_seconds)}")
        lines.append(f"Result: {comm.result or ('in progress' if not comm.final else 'unknown')}")
    return "\n".join(lines)


def build_draft(
    comm: Communication,
    prefs: Preferences,
    *,
    marker: str,
    contact: ContactMatch | None,
    occurred_at: datetime,
    day: str,
    recording_url: str | None,
    notes: str | None,
    disposition: str | None,
    owner_id: str | None = None,
) -> ActivityDraft:
    sections: dict[str, str] = {"details": _details(comm)}
    if comm.kind is CommunicationKind.sms:
        ids = sorted(comm.message_ids)
        sections["messages"] = "\n".join([f"{len(ids)} message(s):", *(f"- message {m}" for m in ids)])
    url = recording_url if prefs.include_recording_link and comm.recording is not None else None
    if url:
        sections["recording"] = f"Recording: {url}"
    if prefs.include_notes and notes:
        sections["notes"] = notes
    direction: Literal["inbound", "outbound"] | None = None
    if comm.direction in (Direction.inbound, Direction.outbound):
        direction = "inbound" if comm.direction is Direction.inbound else "outbound"
    return ActivityDraft(
        kind=ACTIVITY_KINDS[comm.kind],
        marker=marker,
        subject=render_subject(comm, prefs, day),
        occurred_at=occurred_at,
        contact=contact,
        related=contact.related if contact else (),
        owner_id=owner_id,
        direction=direction,
        duration_seconds=comm.duration_seconds if comm.kind is not CommunicationKind.sms else None,
        result=comm.result if comm.kind is not CommunicationKind.sms else None,
        disposition=disposition,
        recording_url=url,
        from_number=comm.from_party.phone if comm.from_party else None,
        to_number=comm.to_party.phone if comm.to_party else None,
        body_sections=sections,
    )


def desired_hash(connector: Connector, draft: ActivityDraft) -> str:
    """A fingerprint of what we want the activity to say (fields and body sections)."""
    text = json.dumps({"fields": connector.fields_of(draft), "body": dict(draft.body_sections),
                       "contact": draft.contact.id if draft.contact else None},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
