"""The audit log: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, SystemOrTenantOwned, col, new_id


class AuditEntry(SystemOrTenantOwned, Base):
    """Who did what to which object, and when; details hold ids and settings, never personal data."""

    __tablename__ = "audit_log"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    at: Mapped[datetime] = col(index=True, inventory="operational")
    actor: Mapped[str] = col(String(100), inventory="identifier")
    action: Mapped[str] = col(String(100), index=True, inventory="operational")
    object_type: Mapped[str] = col(String(64), inventory="operational")
    object_id: Mapped[str | None] = col(String(64), nullable=True, inventory="identifier")
    details: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
