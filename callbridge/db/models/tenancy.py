"""Organizations (the tenants), users, memberships with roles, and hashed API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, TenantOwned, col, new_id


class Role(enum.StrEnum):
    owner = "owner"
    admin = "admin"
    member = "member"
    auditor = "auditor"


class Organization(Base):
    """A tenant: every tenant-owned row points at one."""

    __tablename__ = "organizations"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    name: Mapped[str] = col(String(200), inventory="personal")
    slug: Mapped[str] = col(String(64), unique=True, inventory="operational")
    default_region: Mapped[str] = col(String(2), default="US", inventory="operational")
    created_at: Mapped[datetime] = col(inventory="operational")


class User(Base):
    """A person who signs in to callbridge; belongs to organizations through memberships."""

    __tablename__ = "users"

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    email: Mapped[str] = col(String(320), unique=True, inventory="personal")
    display_name: Mapped[str] = col(String(200), default="", inventory="personal")
    created_at: Mapped[datetime] = col(inventory="operational")


class Membership(TenantOwned, Base):
    """A user's role in one organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("organization_id", "user_id"),)

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    user_id: Mapped[str] = col(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), index=True, inventory="identifier"
    )
    role: Mapped[Role] = col(
        Enum(Role, native_enum=False, length=16, validate_strings=True), inventory="operational"
    )
    created_at: Mapped[datetime] = col(inventory="operational")


class ApiToken(TenantOwned, Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __anonymous_lookup__ = True  # looked up by hash before the tenant is known

    id: Mapped[str] = col(String(32), primary_key=True, default=new_id, inventory="identifier")
    membership_id: Mapped[str] = col(
        String(32),
        ForeignKey("memberships.id", ondelete="CASCADE"),
        index=True,
        inventory="identifier",
    )
    name: Mapped[str] = col(String(100), inventory="operational")
    token_hash: Mapped[str] = col(String(64), unique=True, inventory="hashed")
    created_at: Mapped[datetime] = col(inventory="operational")
    last_used_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
    revoked_at: Mapped[datetime | None] = col(nullable=True, inventory="operational")
