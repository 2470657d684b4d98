"""Sealed secrets: credentials exist in the database only as envelope ciphertext."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id


class SealedSecret(TenantOwned, Base):
    """One secret: a data key wrapped by a key-ring key, and the value sealed by the data key."""

    __tablename__ = "sealed_secrets"
    __table_args__ = (UniqueConstraint("organization_id", "purpose", "name"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    purpose: Mapped[str] = col(String(64), inventory="operational")
    name: Mapped[str] = col(String(200), inventory="operational")
    key_id: Mapped[str] = col(String(64), index=True, inventory="operational")
    wrapped_key: Mapped[bytes] = col(LargeBinary, inventory="sealed")
    ciphertext: Mapped[bytes] = col(LargeBinary, inventory="sealed")
    created_at: Mapped[datetime] = col(inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
