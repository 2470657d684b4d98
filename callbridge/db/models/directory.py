"""The extension directory (Decision 2): who is who on a phone platform connection.

One row per extension of one RingCentral connection. ``ref`` is the keyed HMAC every other table
holds (``communications.owner_ref``, preferences, user maps), so the directory joins them without
a real id anywhere else. The real extension id, the email and the name are not columns: they are
sealed in the vault (purpose ``ringcentral-directory``, name ``<connection>:<ref>``), so key
rotation re-seals them with every other secret and an export or a database dump shows none of them.
The time zone stays plain: the SMS conversation-day is cut with it for every message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id

__all__ = ["DirectoryEntry"]


class DirectoryEntry(TenantOwned, Base):
    """One platform extension: its pseudonym, type, status and time zone; its real id, email and
    name sealed in the vault under the same pseudonym."""

    __tablename__ = "extension_directory"
    __table_args__ = (UniqueConstraint("organization_id", "connection", "ref"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    connection: Mapped[str] = col(String(64), inventory="operational")  # the platform connection's name
    ref: Mapped[str] = col(String(64), index=True, inventory="pseudonymous")  # HMAC of the extension id
    extension_type: Mapped[str | None] = col(String(32), nullable=True, inventory="operational")
    # the platform's status (Enabled, Disabled, …), or "Removed" once the listing no longer has it
    status: Mapped[str | None] = col(String(32), nullable=True, inventory="operational")
    time_zone: Mapped[str | None] = col(String(64), nullable=True, inventory="personal")  # IANA name
    has_email: Mapped[bool] = col(Boolean, default=False, inventory="operational")
    synced_at: Mapped[datetime] = col(inventory="operational")
