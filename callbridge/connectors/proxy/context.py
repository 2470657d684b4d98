"""The values templates see: a draft, a phone number, spelled the ways manifests ask for."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat

from callbridge.connectors.base import ActivityDraft, ContactMatch, marker_token
from callbridge.domain.merge import render_section
from callbridge.domain.phone import PhoneNumber

__all__ = ["MARKER_SECTION", "compose_body", "draft_context", "number_context", "spell"]

MARKER_SECTION = "ref"


def compose_body(draft: ActivityDraft) -> str:
    """The sectioned body (Decision 6), ending in a ``ref`` section holding the marker token."""
    sections = [render_section(name, text) for name, text in draft.body_sections.items()]
    sections.append(render_section(MARKER_SECTION, marker_token(draft.marker)))
    return "\n\n".join(sections)


def _iso(value: Any) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact(contact: ContactMatch | None) -> dict[str, str] | None:
    if contact is None:
        return None
    return {"id": contact.id, "type": contact.type, "name": contact.name, "phone": contact.phone}


def draft_context(draft: ActivityDraft) -> dict[str, Any]:
    seconds = draft.duration_seconds or 0
    ended = draft.occurred_at + timedelta(seconds=seconds)
    minutes = (seconds + 59) // 60
    return {
        "kind": draft.kind, "marker": marker_token(draft.marker), "subject": draft.subject,
        "occurred_at": _iso(draft.occurred_at), "ended_at": _iso(ended),
        "date": draft.occurred_at.astimezone(UTC).strftime("%Y-%m-%d"),
        "time": draft.occurred_at.astimezone(UTC).strftime("%H:%M"),
        "direction": draft.direction, "duration_seconds": draft.duration_seconds,
        "duration_hhmm": f"{minutes // 60:02d}:{minutes % 60:02d}",
        "result": draft.result, "disposition": draft.disposition,
        "recording_url": draft.recording_url, "from_number": draft.from_number,
        "to_number": draft.to_number, "owner_id": draft.owner_id,
        "related": [{"id": r.id, "type": r.type, "name": r.name} for r in draft.related],
        "contact": _contact(draft.contact), "body": compose_body(draft),
    }


def spell(number: PhoneNumber, fmt: str) -> str:
    parsed = phonenumbers.parse(number.e164)
    if fmt == "e164":
        return number.e164
    if fmt == "e164_digits":
        return number.e164[1:]
    if fmt == "international":
        return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    if fmt == "national":
        return phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    if fmt == "national_digits":
        return number.national_digits
    if fmt == "national_number":
        return str(parsed.national_number)
    raise ValueError(f"unknown phone format {fmt!r}")


def number_context(number: PhoneNumber) -> dict[str, Any]:
    out: dict[str, Any] = {fmt: spell(number, fmt) for fmt in (
        "e164", "e164_digits", "international", "national", "national_digits", "national_number")}
    out["region"] = number.region
    out["extension"] = number.extension
    return out
