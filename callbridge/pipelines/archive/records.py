"""Normalise platform records into archive rows and upsert them (one transaction per page)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from callbridge.clock import utc
from callbridge.db.models import ArchivedCall, ArchivedCallLeg, ArchivedMessage, ArchivedObject
from callbridge.privacy.pseudonym import Pseudonymizer

__all__ = ["PageOutcome", "account_of", "parse_time", "upsert_calls", "upsert_messages"]

_ACCOUNT = re.compile(r"/account/([^/]+)")
SKIPPED_ATTACHMENTS = {"AudioTranscription"}  # Decision 8: off unless archive_transcriptions


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def account_of(record: dict[str, Any], default: str) -> str:
    match = _ACCOUNT.search(str(record.get("uri") or ""))
    return match.group(1) if match and match.group(1) != "~" else default


class PageOutcome:
    def __init__(self) -> None:
        self.new = 0
        self.updated = 0
        self.unchanged = 0
        self.objects_added = 0


def _ext(session: Session, pseudonyms: Pseudonymizer, value: Any) -> str | None:
    return pseudonyms.pseudonym(session, "extension", str(value)) if value not in (None, "") else None


def upsert_calls(
    session: Session, pseudonyms: Pseudonymizer, records: list[dict[str, Any]], *, account: str, now: datetime
) -> PageOutcome:
    out = PageOutcome()
    ids = [str(r["id"]) for r in records]
    existing = {
        c.call_id: c
        for c in session.scalars(
            select(ArchivedCall).where(ArchivedCall.account == account, ArchivedCall.call_id.in_(ids))
        )
    }
    for rec in records:
        call_id = str(rec["id"])
        start = parse_time(rec.get("startTime"))
        if start is None:
            continue
        row = existing.get(call_id)
        if row is not None and row.raw == rec:
            out.unchanged += 1
            continue
        recording = rec.get("recording") or {}
        values: dict[str, Any] = {
            "session_id": str(rec.get("sessionId")) if rec.get("sessionId") is not None else None,
            "start_time": start,
            "day": start.date().isoformat(),
            "direction": rec.get("direction"),
            "call_type": rec.get("type"),
            "action": rec.get("action"),
            "result": rec.get("result"),
            "duration": rec.get("duration"),
            "from_number": (rec.get("from") or {}).get("phoneNumber"),
            "to_number": (rec.get("to") or {}).get("phoneNumber"),
            "extension": _ext(session, pseudonyms, (rec.get("extension") or {}).get("id")),
            "recording_id": str(recording["id"]) if recording.get("id") else None,
            "leg_count": len(rec.get("legs") or []),
            "last_modified": parse_time(rec.get("lastModifiedTime")),
            "raw": rec,
            "updated_at": now,
        }
        if row is None:
            row = ArchivedCall(account=account, call_id=call_id, archived_at=now, **values)
            session.add(row)
            out.new += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            out.updated += 1
            session.execute(
                delete(ArchivedCallLeg).where(
                    ArchivedCallLeg.account == account, ArchivedCallLeg.call_id == call_id
                )
            )
        for position, leg in enumerate(rec.get("legs") or []):
            session.add(
                ArchivedCallLeg(
                    account=account,
                    call_id=call_id,
                    position=position,
                    day=values["day"],
                    leg_type=leg.get("legType"),
                    master=bool(leg.get("master")),
                    direction=leg.get("direction"),
                    result=leg.get("result"),
                    duration=leg.get("duration"),
                    start_time=parse_time(leg.get("startTime")),
                    extension=_ext(session, pseudonyms, (leg.get("extension") or {}).get("id")),
                )
            )
        if values["recording_id"]:
            out.objects_added += _ensure_object(
                session, account, "recording", values["recording_id"], call_id, values["day"], None, now
            )
    session.flush()
    return out


def upsert_messages(
    session: Session,
    pseudonyms: Pseudonymizer,
    records: list[dict[str, Any]],
    *,
    account: str,
    extension_id: str,
    now: datetime,
    transcriptions: bool = False,
) -> PageOutcome:
    out = PageOutcome()
    ids = [str(r["id"]) for r in records]
    existing = {
        m.message_id: m
        for m in session.scalars(
            select(ArchivedMessage).where(
                ArchivedMessage.account == account, ArchivedMessage.message_id.in_(ids)
            )
        )
    }
    ext = _ext(session, pseudonyms, extension_id) or ""
    for rec in records:
        message_id = str(rec["id"])
        created = parse_time(rec.get("creationTime"))
        if created is None:
            continue
        row = existing.get(message_id)
        if row is not None and row.raw == rec:
            out.unchanged += 1
            continue
        attachments = list(rec.get("attachments") or [])
        values: dict[str, Any] = {
            "extension": ext,
            "message_type": rec.get("type"),
            "direction": rec.get("direction"),
            "creation_time": created,
            "day": created.date().isoformat(),
            "availability": rec.get("availability"),
            "message_status": rec.get("messageStatus"),
            "conversation_id": str(rec["conversationId"]) if rec.get("conversationId") is not None else None,
            "attachment_count": len(attachments),
            "last_modified": parse_time(rec.get("lastModifiedTime")),
            "raw": rec,
            "updated_at": now,
        }
        if row is None:
            session.add(ArchivedMessage(account=account, message_id=message_id, archived_at=now, **values))
            out.new += 1
        else:
            for key, value in values.items():
                setattr(row, key, value)
            out.updated += 1
        for att in attachments:
            if att.get("type") in SKIPPED_ATTACHMENTS and not transcriptions:
                continue
            if rec.get("availability") == "Purged":
                continue
            out.objects_added += _ensure_object(
                session,
                account,
                "attachment",
                f"{message_id}:{att['id']}",
                message_id,
                values["day"],
                att.get("contentType"),
                now,
            )
    session.flush()
    return out


def _ensure_object(
    session: Session,
    account: str,
    kind: str,
    source_id: str,
    parent_id: str,
    day: str,
    content_type: str | None,
    now: datetime,
) -> int:
    found = session.scalars(
        select(ArchivedObject.id).where(
            ArchivedObject.account == account,
            ArchivedObject.kind == kind,
            ArchivedObject.source_id == source_id,
        )
    ).first()
    if found:
        return 0
    session.add(
        ArchivedObject(
            account=account,
            kind=kind,
            source_id=source_id,
            parent_id=parent_id,
            day=day,
            status="pending",
            content_type=content_type,
            attempts=0,
            created_at=now,
        )
    )
    return 1
