"""The extension directory of a RingCentral connection (reference §3a): read, parsed, stored.

Reading: the extension list (Medium) names every extension with its contact email but has no
``regionalSettings``; only the single-extension read (Light) has the time zone, so a refresh reads
it for the extensions that own calls and messages. A missing email (a Department, an IVR menu)
or time zone (an extension the app may not read) is normal: it is stored as unknown, never an
error, and a zone once known is kept when a later read cannot get it.

Storing: one ``extension_directory`` row per extension, keyed by the pseudonym the normaliser
gives ``owner_ref`` (the same ``pseudonym`` callable), so rows join without a real id. The real
extension id, the email and the name are sealed in the vault under ``<connection>:<ref>``
(:data:`SEALED_PURPOSE`); an extension the platform no longer lists is removed with its seal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import DirectoryEntry
from callbridge.platforms.ringcentral.client import RingCentralClient
from callbridge.platforms.ringcentral.errors import NotFound, PermissionDenied
from callbridge.platforms.ringcentral.sync import read_extension
from callbridge.privacy.vault import Vault

__all__ = [
    "PERSON_TYPES",
    "SEALED_PURPOSE",
    "ZONE_TYPES",
    "DirectoryChange",
    "Extension",
    "entries",
    "entry_for",
    "extension_of",
    "open_extension",
    "read_directory",
    "read_one",
    "remove_missing",
    "sealed_name",
    "store_extension",
    "time_zone_name",
]

SEALED_PURPOSE = "ringcentral-directory"
# extensions that own calls and messages: their time zone is worth a read (IVR menus, park
# locations, paging groups… own none)
ZONE_TYPES = frozenset({"User", "FaxUser", "Department", "VirtualUser", "DigitalUser", "Voicemail"})
PERSON_TYPES = frozenset({"User", "VirtualUser", "DigitalUser"})  # may map to a CRM user
NO_ZONE_STATUSES = frozenset({"NotActivated", "Unassigned"})

Pseudonym = Callable[[str], str]


@dataclass(frozen=True)
class Extension:
    """One extension as the platform describes it (the real id: never stored in clear)."""

    id: str
    email: str | None = None
    name: str | None = None
    type: str | None = None
    status: str | None = None
    time_zone: str | None = None  # IANA name


@dataclass
class DirectoryChange:
    added: int = 0
    updated: int = 0
    removed: int = 0
    without_email: int = 0
    without_zone: int = 0


def time_zone_name(record: Any) -> str | None:
    """``regionalSettings.timezone.name`` when it is an IANA zone this machine knows, else None."""
    if not isinstance(record, dict):
        return None
    regional = record.get("regionalSettings")
    tz = regional.get("timezone") if isinstance(regional, dict) else None
    name = tz.get("name") if isinstance(tz, dict) else None
    if not isinstance(name, str) or not name.strip():
        return None
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name.strip()


def _text(value: Any, limit: int = 320) -> str | None:
    return (value.strip()[:limit] or None) if isinstance(value, str) else None


def extension_of(record: Any) -> Extension | None:
    """A listed (or read) extension record → :class:`Extension`; None without an id."""
    if not isinstance(record, dict) or record.get("id") in (None, ""):
        return None
    given = record.get("contact")
    contact: dict[str, Any] = given if isinstance(given, dict) else {}
    name = _text(record.get("name"), 200) or _text(
        f"{contact.get('firstName') or ''} {contact.get('lastName') or ''}", 200)
    return Extension(
        id=str(record["id"]),
        email=_text(contact.get("email")),
        name=name,
        type=_text(record.get("type"), 32),
        status=_text(record.get("status"), 32),
        time_zone=time_zone_name(record),
    )


async def read_one(client: RingCentralClient, extension_id: str) -> Extension | None:
    """One extension with its time zone (Light); None when the platform does not show it."""
    try:
        return extension_of(await read_extension(client, extension_id))
    except (NotFound, PermissionDenied):
        return None


async def read_directory(client: RingCentralClient, *, with_zones: bool = True) -> list[Extension]:
    """Every extension of the account; with ``with_zones`` the time zone of those that own
    communications (one Light read each: the list does not carry it)."""
    out: list[Extension] = []
    for record in await client.list_extensions():
        ext = extension_of(record)
        if ext is None:
            continue
        owns = ext.type in ZONE_TYPES and ext.status not in NO_ZONE_STATUSES
        if with_zones and owns and ext.time_zone is None:
            detailed = await read_one(client, ext.id)
            if detailed is not None and detailed.time_zone:
                ext = replace(ext, time_zone=detailed.time_zone)
        out.append(ext)
    return out


# -- storage ---------------------------------------------------------------------------------------
def sealed_name(connection: str, ref: str) -> str:
    return f"{connection}:{ref}"


def entry_for(session: Session, ref: str, connection: str | None = None) -> DirectoryEntry | None:
    """The directory row of the extension whose pseudonym is ``ref`` (in ``connection`` if given)."""
    query = select(DirectoryEntry).where(DirectoryEntry.ref == ref)
    if connection is not None:
        query = query.where(DirectoryEntry.connection == connection)
    return session.scalars(query.order_by(DirectoryEntry.synced_at.desc(), DirectoryEntry.id)).first()


def entries(session: Session, connection: str | None = None) -> list[DirectoryEntry]:
    query = select(DirectoryEntry).order_by(DirectoryEntry.connection, DirectoryEntry.ref)
    if connection is not None:
        query = query.where(DirectoryEntry.connection == connection)
    return list(session.scalars(query))


def store_extension(session: Session, vault: Vault, pseudonym: Pseudonym, connection: str, ext: Extension,
                    now: datetime, change: DirectoryChange | None = None) -> DirectoryEntry:
    """Add or refresh one extension's row and seal its real id, email and name."""
    ref = pseudonym(ext.id)
    row = entry_for(session, ref, connection)
    if row is None:
        row = DirectoryEntry(connection=connection, ref=ref, synced_at=now)
        session.add(row)
        if change is not None:
            change.added += 1
    elif change is not None:
        change.updated += 1
    row.extension_type = ext.type
    row.status = ext.status
    if ext.time_zone:  # a zone once known stays when this read could not get it
        row.time_zone = ext.time_zone
    row.has_email = bool(ext.email)
    row.synced_at = now
    sealed = {"id": ext.id, "email": ext.email, "name": ext.name}
    vault.put(session, SEALED_PURPOSE, sealed_name(connection, ref), json.dumps(sealed, sort_keys=True))
    if change is not None:
        change.without_email += not ext.email
        change.without_zone += not row.time_zone
    return row


def remove_missing(session: Session, vault: Vault, connection: str, kept: Iterable[str],
                   change: DirectoryChange | None = None) -> int:
    """Remove the rows (and seals) of ``connection`` whose pseudonym is not in ``kept``."""
    keep = set(kept)
    removed = 0
    for row in entries(session, connection):
        if row.ref in keep:
            continue
        vault.delete(session, SEALED_PURPOSE, sealed_name(connection, row.ref))
        session.delete(row)
        removed += 1
    session.flush()
    if change is not None:
        change.removed += removed
    return removed


def open_extension(session: Session, vault: Vault, row: DirectoryEntry) -> Extension:
    """The row with its sealed values opened (for per-extension calls and email matching)."""
    name = sealed_name(row.connection, row.ref)
    data: dict[str, Any] = {}
    if vault.exists(session, SEALED_PURPOSE, name):
        loaded = json.loads(vault.get_text(session, SEALED_PURPOSE, name))
        data = loaded if isinstance(loaded, dict) else {}
    return Extension(id=str(data.get("id") or ""), email=data.get("email") or None,
                     name=data.get("name") or None, type=row.extension_type, status=row.status,
                     time_zone=row.time_zone)
