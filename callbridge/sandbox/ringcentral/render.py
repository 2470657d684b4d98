"""Turn sandbox records into the JSON RingCentral returns (field names and nesting per spec)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import Attachment, CallLeg, CallRecord, Extension, Message, Party, Recording
from .timeutil import iso

__all__ = ["Urls", "render_call", "render_extension", "render_message", "render_recording"]

API = "/restapi/v1.0"

# Time zones the generator uses; ids are the sandbox's own (RingCentral's ids not verified).
TIMEZONES: dict[str, tuple[str, str, str]] = {
    "America/New_York": ("58", "Eastern Time (US & Canada)", "-300"),
    "America/Chicago": ("57", "Central Time (US & Canada)", "-360"),
    "America/Denver": ("59", "Mountain Time (US & Canada)", "-420"),
    "America/Los_Angeles": ("60", "Pacific Time (US & Canada)", "-480"),
    "Europe/London": ("66", "London", "0"),
}


@dataclass(frozen=True)
class Urls:
    """Where URIs point: the API host and the media host (both the sandbox by default)."""

    api: str
    media: str
    account_id: str

    def account(self) -> str:
        return f"{self.api}{API}/account/{self.account_id}"

    def extension(self, ext_id: int | str) -> str:
        return f"{self.account()}/extension/{ext_id}"

    def recording(self, rec_id: str) -> str:
        return f"{self.account()}/recording/{rec_id}"

    def recording_content(self, rec_id: str) -> str:
        return f"{self.media}{API}/account/{self.account_id}/recording/{rec_id}/content"

    def message(self, ext_id: int, msg_id: int) -> str:
        return f"{self.extension(ext_id)}/message-store/{msg_id}"

    def attachment(self, ext_id: int, msg_id: int, att_id: int) -> str:
        return (f"{self.media}{API}/account/{self.account_id}/extension/{ext_id}"
                f"/message-store/{msg_id}/content/{att_id}")


def _party(p: Party) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in (("phoneNumber", p.phone_number), ("extensionNumber", p.extension_number),
                       ("extensionId", p.extension_id), ("name", p.name),
                       ("location", p.location)):
        if value is not None:
            out[key] = value
    return out


def _recording_link(urls: Urls, rec: Recording) -> dict[str, Any]:
    return {"uri": urls.recording(rec.id), "id": rec.id, "type": rec.type,
            "contentUri": urls.recording_content(rec.id)}


def _leg(urls: Urls, leg: CallLeg, rec: Recording | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "startTime": iso(leg.start_time),
        "duration": leg.duration_ms // 1000,
        "durationMs": leg.duration_ms,
        "type": "Voice",
        "direction": leg.direction,
        "action": leg.action,
        "result": leg.result,
        "to": _party(leg.to),
        "from": _party(leg.from_),
        "transport": leg.transport,
        "legType": leg.leg_type,
        "master": leg.master,
    }
    if leg.reason:
        out["reason"] = leg.reason
    if leg.extension_id is not None:
        out["extension"] = {"uri": urls.extension(leg.extension_id), "id": leg.extension_id}
    if rec is not None and leg.recording_id == rec.id:
        out["recording"] = _recording_link(urls, rec)
    return out


def render_call(
    urls: Urls, call: CallRecord, *, view: str, account_level: bool,
    recording: Recording | None, modified_at: datetime, deleted: bool = False,
) -> dict[str, Any]:
    """A `CallLogRecord`; `legs` and `lastModifiedTime` only in the Detailed view."""
    base = urls.account() if account_level else urls.extension(call.extension_id)
    out: dict[str, Any] = {
        "uri": f"{base}/call-log/{call.id}?view={view}",
        "id": call.id,
        "sessionId": call.session_id,
        "telephonySessionId": call.telephony_session_id,
        "startTime": iso(call.start_time),
        "duration": call.duration_ms // 1000,
        "durationMs": call.duration_ms,
        "type": call.type,
        "direction": call.direction,
        "action": call.action,
        "result": call.result,
        "to": _party(call.to),
        "from": _party(call.from_),
        "extension": {"uri": urls.extension(call.extension_id), "id": call.extension_id},
        "transport": call.transport,
    }
    if call.party_id:
        out["partyId"] = call.party_id
    if call.reason:
        out["reason"] = call.reason
    if call.internal_type:
        out["internalType"] = call.internal_type
    if recording is not None:
        out["recording"] = _recording_link(urls, recording)
    if call.short_recording:
        out["shortRecording"] = True
    if call.message_id is not None:
        out["message"] = {"id": str(call.message_id), "type": call.message_type or "VoiceMail",
                          "uri": urls.message(call.extension_id, call.message_id)}
    if call.billing is not None:
        out["billing"] = {"costIncluded": call.billing[0], "costPurchased": call.billing[1]}
    out.update(call.overrides)
    if view == "Detailed":
        out["legs"] = [_leg(urls, leg, recording) for leg in call.legs]
        out["lastModifiedTime"] = iso(modified_at)
    if deleted:
        out["deleted"] = True
    return out


def render_recording(urls: Urls, rec: Recording) -> dict[str, Any]:
    """`GetCallRecordingResponse`: id, contentUri, contentType, duration (no `uri`)."""
    return {"id": rec.id, "contentUri": urls.recording_content(rec.id),
            "contentType": rec.content_type, "duration": rec.duration}


def _attachment(urls: Urls, msg: Message, att: Attachment) -> dict[str, Any]:
    out: dict[str, Any] = {"id": att.id, "uri": urls.attachment(msg.extension_id, msg.id, att.id),
                           "type": att.type, "contentType": att.content_type}
    for key, value in (("vmDuration", att.vm_duration), ("fileName", att.file_name),
                       ("size", att.size), ("height", att.height), ("width", att.width)):
        if value is not None:
            out[key] = value
    return out


def render_message(
    urls: Urls, msg: Message, *, availability: str, modified_at: datetime,
    string_ids: bool = False,
) -> dict[str, Any]:
    """A `GetMessageInfoResponse` (with `string_ids`: the instant-event body's flavour)."""
    out: dict[str, Any] = {
        "uri": urls.message(msg.extension_id, msg.id),
        "id": str(msg.id) if string_ids else msg.id,
        "extensionId": str(msg.extension_id),
        "to": [_party(p) for p in msg.to],
        "from": _party(msg.from_),
        "type": msg.type,
        "creationTime": iso(msg.creation_time),
        "readStatus": msg.read_status,
        "priority": msg.priority,
        "attachments": [] if availability == "Purged"
        else [_attachment(urls, msg, a) for a in msg.attachments],
        "direction": msg.direction,
        "availability": availability,
        "messageStatus": msg.message_status,
        "lastModifiedTime": iso(modified_at),
    }
    if msg.subject is not None:
        out["subject"] = msg.subject
    if msg.conversation_id is not None:
        out["conversationId"] = str(msg.conversation_id) if string_ids else msg.conversation_id
        out["conversation"] = {"id": str(msg.conversation_id),
                               "uri": f"{urls.api}{API}/conversation/{msg.conversation_id}"}
    if msg.type == "SMS" and msg.direction == "Outbound":
        out["smsSendingAttemptsCount"] = 1
        out["smsDeliveryTime"] = iso(msg.creation_time)
    if msg.type == "Fax":
        out["faxResolution"] = msg.fax_resolution or "High"
        out["faxPageCount"] = msg.fax_page_count or 1
        if msg.direction == "Outbound":
            out["coverIndex"] = 0
    if msg.type == "VoiceMail":
        out["vmTranscriptionStatus"] = msg.vm_transcription_status or "NotAvailable"
    return out


def render_extension(urls: Urls, ext: Extension, *, detailed: bool) -> dict[str, Any]:
    """`GetExtensionListInfoResponse`, or with `detailed` a `GetExtensionInfoResponse`."""
    contact: dict[str, Any] = {"firstName": ext.first_name, "lastName": ext.last_name,
                               "email": ext.email, "businessPhone": ext.phone_number,
                               "emailAsLoginName": True}
    if ext.department:
        contact["department"] = ext.department
    out: dict[str, Any] = {
        "uri": urls.extension(ext.id),
        "id": ext.id,
        "extensionNumber": ext.number,
        "name": ext.name,
        "contact": contact,
        "status": ext.status,
        "type": ext.type,
        "hidden": False,
        "creationTime": iso(ext.creation_time),
    }
    if detailed:
        tz_id, tz_desc, bias = TIMEZONES.get(ext.timezone, ("58", ext.timezone, "0"))
        out["account"] = {"uri": urls.account(), "id": urls.account_id}
        out["regionalSettings"] = {
            "homeCountry": {"id": "1", "uri": f"{urls.api}{API}/dictionary/country/1",
                            "name": "United States", "isoCode": "US", "callingCode": "1"},
            "timezone": {"uri": f"{urls.api}{API}/dictionary/timezone/{tz_id}", "id": tz_id,
                         "name": ext.timezone, "description": tz_desc, "bias": bias},
            "language": {"id": "1033", "localeCode": "en-US", "name": "English (United States)"},
            "greetingLanguage": {"id": "1033", "localeCode": "en-US",
                                 "name": "English (United States)"},
            "formattingLocale": {"id": "1033", "localeCode": "en-US",
                                 "name": "English (United States)"},
            "timeFormat": "12h",
        }
        out["setupWizardState"] = "Completed"
    return out
