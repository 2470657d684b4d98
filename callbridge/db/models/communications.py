"""Ingest: the webhook inbox, webhook subscriptions, sync cursors and merged communications.

Decision 2: raw inbox bodies are transient (``body`` is emptied once normalised); a
communication holds platform extension ids only as pseudonyms (``owner_ref``, parties, legs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id

__all__ = ["CommunicationRow", "InboxEvent", "IngestCursor", "WebhookSubscription"]


class InboxEvent(TenantOwned, Base):
    """One platform event as received (webhook or poll), deduplicated, until it is normalised."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("organization_id", "dedupe_key"),
        Index("ix_inbox_events_status_received", "status", "received_at"),
    )

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    platform: Mapped[str] = col(String(32), inventory="operational")
    dedupe_key: Mapped[str] = col(String(200), inventory="operational")
    event_type: Mapped[str] = col(String(32), inventory="operational")  # telephony | message-store | …
    event_path: Mapped[str] = col(String(300), inventory="operational")  # extension ids masked
    # pending → done | ignored (unknown event, with ``reason``) | failed (see the job's dead letter)
    status: Mapped[str] = col(String(16), inventory="operational")
    reason: Mapped[str | None] = col(String(500), nullable=True, inventory="operational")
    body: Mapped[str | None] = col(Text, nullable=True, inventory="content")  # raw; None once normalised
    body_bytes: Mapped[int] = col(Integer, inventory="operational")
    duplicates: Mapped[int] = col(Integer, default=0, inventory="operational")
    received_at: Mapped[datetime] = col(inventory="operational")
    processed_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")


class CommunicationRow(TenantOwned, Base):
    """One communication (call session, SMS conversation-day, fax, voicemail), merged from pieces."""

    __tablename__ = "communications"
    __table_args__ = (
        UniqueConstraint("organization_id", "key"),
        Index("ix_communications_org_started", "organization_id", "started_at"),
    )

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    key: Mapped[str] = col(String(200), inventory="content")  # Communication.key
    platform: Mapped[str] = col(String(32), inventory="operational")
    kind: Mapped[str] = col(String(16), index=True, inventory="content")
    owner_ref: Mapped[str | None] = col(String(64), nullable=True, index=True, inventory="pseudonymous")
    started_at: Mapped[datetime | None] = col(nullable=True, inventory="content")
    final: Mapped[bool] = col(Boolean, default=False, inventory="content")
    version: Mapped[int] = col(Integer, default=1, inventory="operational")  # +1 on every change
    data: Mapped[dict[str, Any]] = col(JSON, inventory="content")  # the merged Communication
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(index=True, inventory="operational")


class WebhookSubscription(TenantOwned, Base):
    """A platform webhook subscription; deliveries arrive at ``/webhooks/<platform>/<route_key>``."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (UniqueConstraint("route_key"),)
    __anonymous_lookup__ = False

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    platform: Mapped[str] = col(String(32), inventory="operational")
    connection: Mapped[str] = col(String(64), inventory="operational")
    route_key: Mapped[str] = col(String(64), inventory="operational")  # random path segment
    subscription_id: Mapped[str | None] = col(String(64), nullable=True, inventory="operational")
    address: Mapped[str] = col(String(500), inventory="operational")
    filters: Mapped[list[str]] = col(JSON, inventory="operational")  # ``~`` form, no real ids
    status: Mapped[str] = col(String(16), inventory="operational")  # pending | active | lost | off
    expires_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    last_error: Mapped[str | None] = col(String(500), nullable=True, inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")


class IngestCursor(TenantOwned, Base):
    """Catch-up sync: everything of ``dataset`` before ``position`` has been merged."""

    __tablename__ = "ingest_cursors"
    __table_args__ = (UniqueConstraint("organization_id", "connection", "dataset"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    connection: Mapped[str] = col(String(64), inventory="operational")
    dataset: Mapped[str] = col(String(32), inventory="operational")
    position: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
