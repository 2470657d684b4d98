"""Account lifecycle and support: deletion requests and receipts, consented support sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id


class DeletionRequest(TenantOwned, Base):
    """An owner asked for the organization to be deleted; it happens at ``due_at`` unless cancelled."""

    __tablename__ = "deletion_requests"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    requested_at: Mapped[datetime] = col(inventory="operational")
    requested_by: Mapped[str] = col(String(32), inventory="identifier")
    due_at: Mapped[datetime] = col(inventory="operational")
    cancelled_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    cancelled_by: Mapped[str | None] = col(String(32), nullable=True, inventory="identifier")
    job_id: Mapped[str | None] = col(String(32), nullable=True, inventory="identifier")


class DeletionReceipt(Base):
    """What remains of a deleted organization: when, and how much was removed; no personal data."""

    __tablename__ = "deletion_receipts"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    organization_ref: Mapped[str] = col(String(64), index=True, inventory="hashed")
    requested_at: Mapped[datetime] = col(inventory="operational")
    executed_at: Mapped[datetime] = col(inventory="operational")
    removed: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")


class SupportSession(TenantOwned, Base):
    """A diagnostic bundle a member consented to share; purged after 30 days."""

    __tablename__ = "support_sessions"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    created_at: Mapped[datetime] = col(inventory="operational")
    expires_at: Mapped[datetime] = col(index=True, inventory="operational")
    consented_by: Mapped[str] = col(String(32), inventory="identifier")
    consent_text: Mapped[str] = col(String(500), inventory="operational")
    bundle: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
