"""Declarative base, column helpers and the data-inventory annotation every column carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "INVENTORY_CLASSES",
    "Base",
    "TenantOwned",
    "UTCDateTime",
    "col",
    "new_id",
]

# What kind of data a column holds; the privacy tooling (export, deletion, inventory) reads it.
INVENTORY_CLASSES = {
    "identifier": "an opaque id we generated",
    "operational": "state the service needs to run (status, counters, timestamps)",
    "personal": "personal data of a person (name, email, phone)",
    "pseudonymous": "a keyed HMAC of a platform id, never the id itself",
    "sealed": "vault ciphertext; never readable without the key ring",
    "hashed": "a one-way hash of a credential",
    "content": "communication content or metadata owned by the organization",
}

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A random, unguessable object id (32 hex characters)."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware UTC datetime, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use the Clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def col(*args: Any, inventory: str, **kwargs: Any) -> Any:
    """``mapped_column`` that also records what kind of data the column holds."""
    if inventory not in INVENTORY_CLASSES:
        raise ValueError(f"unknown inventory class {inventory!r}; use one of {sorted(INVENTORY_CLASSES)}")
    info = dict(kwargs.pop("info", {}))
    info["inventory"] = inventory
    return mapped_column(*args, info=info, **kwargs)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class TenantOwned:
    """Mixin for rows that belong to one organization; reads are filtered to the session's tenant."""

    # Set True on a table whose rows may be looked up before the tenant is known (API tokens).
    __anonymous_lookup__ = False

    organization_id: Mapped[str] = col(
        String(32),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        index=True,
        inventory="identifier",
    )


class SystemOrTenantOwned(TenantOwned):
    """Rows that belong to one organization or, with ``organization_id`` NULL, to the system."""

    organization_id: Mapped[str | None] = col(  # type: ignore[assignment]
        String(32),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        index=True,
        nullable=True,
        inventory="identifier",
    )
