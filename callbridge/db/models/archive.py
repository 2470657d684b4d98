"""The archive: platform records as they were (normalised columns + raw JSON) and stored objects.

Decision 2: the archive is the company's own record, so ``raw`` keeps the platform's record
unchanged; the normalised columns hold extension ids only as pseudonyms.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id


class ArchiveCursor(TenantOwned, Base):
    """Everything of ``dataset`` that started before ``position`` is committed to the archive."""

    __tablename__ = "archive_cursors"
    __table_args__ = (UniqueConstraint("organization_id", "account", "dataset"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    account: Mapped[str] = col(String(64), inventory="operational")
    dataset: Mapped[str] = col(String(32), inventory="operational")
    position: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")


class ArchivedCall(TenantOwned, Base):
    """One call-log record (Detailed view)."""

    __tablename__ = "archived_calls"
    __table_args__ = (UniqueConstraint("organization_id", "account", "call_id"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    account: Mapped[str] = col(String(64), inventory="operational")
    call_id: Mapped[str] = col(String(64), inventory="content")
    session_id: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    start_time: Mapped[datetime] = col(index=True, inventory="content")
    day: Mapped[str] = col(String(10), index=True, inventory="operational")
    direction: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    call_type: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    action: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    result: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    duration: Mapped[int | None] = col(Integer, nullable=True, inventory="content")
    from_number: Mapped[str | None] = col(String(40), nullable=True, inventory="personal")
    to_number: Mapped[str | None] = col(String(40), nullable=True, inventory="personal")
    extension: Mapped[str | None] = col(String(64), nullable=True, inventory="pseudonymous")
    recording_id: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    leg_count: Mapped[int] = col(Integer, default=0, inventory="content")
    last_modified: Mapped[datetime | None] = col(nullable=True, inventory="content")
    raw: Mapped[dict[str, Any]] = col(JSON, inventory="content")
    archived_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")


class ArchivedCallLeg(TenantOwned, Base):
    """One leg of a call record, normalised (the full leg is in the call's ``raw``)."""

    __tablename__ = "archived_call_legs"
    __table_args__ = (UniqueConstraint("organization_id", "account", "call_id", "position"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    account: Mapped[str] = col(String(64), inventory="operational")
    call_id: Mapped[str] = col(String(64), index=True, inventory="content")
    position: Mapped[int] = col(Integer, inventory="operational")
    day: Mapped[str] = col(String(10), inventory="operational")
    leg_type: Mapped[str | None] = col(String(32), nullable=True, inventory="content")
    master: Mapped[bool] = col(Boolean, default=False, inventory="content")
    direction: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    result: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    duration: Mapped[int | None] = col(Integer, nullable=True, inventory="content")
    start_time: Mapped[datetime | None] = col(nullable=True, inventory="content")
    extension: Mapped[str | None] = col(String(64), nullable=True, inventory="pseudonymous")


class ArchivedMessage(TenantOwned, Base):
    """One message-store record (SMS/MMS, fax, voicemail)."""

    __tablename__ = "archived_messages"
    __table_args__ = (UniqueConstraint("organization_id", "account", "message_id"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    account: Mapped[str] = col(String(64), inventory="operational")
    message_id: Mapped[str] = col(String(32), inventory="content")
    extension: Mapped[str] = col(String(64), inventory="pseudonymous")
    message_type: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    direction: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    creation_time: Mapped[datetime] = col(index=True, inventory="content")
    day: Mapped[str] = col(String(10), index=True, inventory="operational")
    availability: Mapped[str | None] = col(String(16), nullable=True, inventory="content")
    message_status: Mapped[str | None] = col(String(32), nullable=True, inventory="content")
    conversation_id: Mapped[str | None] = col(String(32), nullable=True, inventory="content")
    attachment_count: Mapped[int] = col(Integer, default=0, inventory="content")
    last_modified: Mapped[datetime | None] = col(nullable=True, inventory="content")
    raw: Mapped[dict[str, Any]] = col(JSON, inventory="content")
    archived_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
    # set when callbridge deleted the message from RingCentral's message store after archiving it
    platform_deleted_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")


class ArchivedObject(TenantOwned, Base):
    """A binary to copy (recording, attachment): ``pending`` until stored and checked, then
    ``stored`` with its path, size and sha256. The object is renamed into place before the row
    says ``stored``; an object at its final path is therefore always complete."""

    __tablename__ = "archived_objects"
    __table_args__ = (UniqueConstraint("organization_id", "account", "kind", "source_id"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    account: Mapped[str] = col(String(64), inventory="operational")
    kind: Mapped[str] = col(String(16), inventory="operational")
    source_id: Mapped[str] = col(String(80), inventory="content")
    parent_id: Mapped[str] = col(String(64), inventory="content")
    day: Mapped[str] = col(String(10), index=True, inventory="operational")
    status: Mapped[str] = col(String(16), index=True, inventory="operational")
    path: Mapped[str | None] = col(String(500), nullable=True, inventory="operational")
    content_type: Mapped[str | None] = col(String(100), nullable=True, inventory="content")
    size: Mapped[int | None] = col(BigInteger, nullable=True, inventory="operational")
    sha256: Mapped[str | None] = col(String(64), nullable=True, inventory="operational")  # of the content
    attempts: Mapped[int] = col(Integer, default=0, inventory="operational")
    last_error: Mapped[str | None] = col(String(500), nullable=True, inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")
    stored_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
