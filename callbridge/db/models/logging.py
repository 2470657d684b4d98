"""CRM logging: connections to CRMs, one activity row per (connection, communication), preferences.

A :class:`CrmActivity` row is the reservation of Invariant 1: it is written (unique per
connection and communication key) before the CRM is asked to create anything, and it carries
what we last wrote (Invariant 2) so later updates merge against it. Credentials are never here:
they are sealed in the vault under :attr:`CrmConnection.credential_purpose`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id

__all__ = [
    "ActivityStatus",
    "ChosenConversation",
    "ConnectionStatus",
    "CrmActivity",
    "CrmConnection",
    "LoggingPreference",
]


class ConnectionStatus(enum.StrEnum):
    active = "active"
    paused = "paused"  # the CRM refused our credentials; an admin must reconnect


class ActivityStatus(enum.StrEnum):
    reserved = "reserved"  # the row exists; the CRM has not been asked yet
    creating = "creating"  # the CRM was (maybe) asked to create; outcome unknown until stored
    created = "created"  # the CRM activity id is stored
    ambiguous = "ambiguous"  # several contacts match; a user must pick one
    waiting = "waiting"  # the connection is paused; logged after reconnecting
    skipped = "skipped"  # the preferences say not to log this communication
    failed = "failed"  # the CRM refused the data as it is; see last_error


class CrmConnection(TenantOwned, Base):
    """One connection of an organization (or of one user) to a CRM account."""

    __tablename__ = "crm_connections"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    name: Mapped[str] = col(String(64), inventory="operational")  # e.g. "hubspot"
    connector: Mapped[str] = col(String(64), inventory="operational")
    owner_ref: Mapped[str | None] = col(String(64), nullable=True, inventory="pseudonymous")
    status: Mapped[ConnectionStatus] = col(
        Enum(ConnectionStatus, native_enum=False, length=16), default=ConnectionStatus.active,
        inventory="operational")
    paused_reason: Mapped[str | None] = col(String(1000), nullable=True, inventory="operational")
    paused_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    options: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
    credential_purpose: Mapped[str] = col(String(64), inventory="operational")
    # org-wide connections: extension pseudonym → CRM user id, matched by email (no email kept here)
    user_map: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="pseudonymous")
    users_mapped_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    last_success_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    last_error: Mapped[str | None] = col(String(1000), nullable=True, inventory="operational")
    last_error_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")


class CrmActivity(TenantOwned, Base):
    """The one CRM activity of a communication in a connection: reservation, id, our last write."""

    __tablename__ = "crm_activities"
    __table_args__ = (UniqueConstraint("organization_id", "connection_id", "communication_key"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    connection_id: Mapped[str] = col(
        String(32), ForeignKey("crm_connections.id", ondelete="CASCADE"), index=True,
        inventory="identifier")
    communication_key: Mapped[str] = col(String(300), inventory="content")
    communication_id: Mapped[str | None] = col(String(32), nullable=True, index=True, inventory="identifier")
    kind: Mapped[str] = col(String(16), inventory="content")
    status: Mapped[ActivityStatus] = col(
        Enum(ActivityStatus, native_enum=False, length=16), default=ActivityStatus.reserved,
        index=True, inventory="operational")
    marker: Mapped[str] = col(String(64), inventory="identifier")
    crm_activity_id: Mapped[str | None] = col(String(128), nullable=True, inventory="content")
    url: Mapped[str | None] = col(String(500), nullable=True, inventory="content")
    contact_id: Mapped[str | None] = col(String(128), nullable=True, inventory="content")
    contact_type: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    candidates: Mapped[list[dict[str, Any]]] = col(JSON, default=list, inventory="personal")
    notes: Mapped[str | None] = col(Text, nullable=True, inventory="content")  # typed in callbridge
    disposition: Mapped[str | None] = col(String(255), nullable=True, inventory="content")
    last_written: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="content")
    last_written_body: Mapped[str | None] = col(Text, nullable=True, inventory="content")
    desired_hash: Mapped[str | None] = col(String(64), nullable=True, inventory="operational")
    needs_sync: Mapped[bool] = col(Boolean, default=False, index=True, inventory="operational")
    lease_owner: Mapped[str | None] = col(String(64), nullable=True, inventory="operational")
    lease_until: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    create_started_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    last_error: Mapped[str | None] = col(String(1000), nullable=True, inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
    synced_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")


class LoggingPreference(TenantOwned, Base):
    """What to log and include: the organization's defaults (``owner_ref`` NULL) or one user's."""

    __tablename__ = "logging_preferences"
    __table_args__ = (UniqueConstraint("organization_id", "scope"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    scope: Mapped[str] = col(String(80), inventory="pseudonymous")  # "org" or "user:<owner_ref>"
    settings: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")


class PlaceholderContact(TenantOwned, Base):
    """A placeholder contact callbridge created (or is creating) for an unknown number.

    Reserved before the CRM call, so that a second call from the same number reuses it even
    while the CRM's search does not show the new contact yet (HubSpot's search lag).
    """

    __tablename__ = "placeholder_contacts"
    __table_args__ = (UniqueConstraint("organization_id", "connection_id", "phone_ref"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    connection_id: Mapped[str] = col(
        String(32), ForeignKey("crm_connections.id", ondelete="CASCADE"), index=True, inventory="identifier"
    )
    phone_ref: Mapped[str] = col(String(64), inventory="pseudonymous")  # keyed HMAC of the E.164 number
    contact_id: Mapped[str | None] = col(String(128), nullable=True, inventory="content")
    contact_type: Mapped[str | None] = col(String(64), nullable=True, inventory="content")
    reserved_at: Mapped[datetime] = col(inventory="operational")


class ChosenConversation(TenantOwned, Base):
    """An SMS conversation chosen for logging (preference ``sms_conversations = "chosen"``).

    The conversation is the other party's E.164 number, kept only as a keyed HMAC; ``scope`` is
    the organization's list (``org``) or one user's (``user:<owner_ref>``); both lists count.
    """

    __tablename__ = "chosen_conversations"
    __table_args__ = (UniqueConstraint("organization_id", "scope", "phone_ref"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    scope: Mapped[str] = col(String(80), inventory="pseudonymous")  # "org" or "user:<owner_ref>"
    phone_ref: Mapped[str] = col(String(64), inventory="pseudonymous")  # keyed HMAC of the E.164 number
    created_at: Mapped[datetime] = col(inventory="operational")
