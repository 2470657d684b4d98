"""Server-side logging: the phone users of an org-wide CRM connection mapped to CRM users by email.

An admin connects the CRM once (an org-wide connection, ``owner_ref`` NULL); each communication
is then logged as its owner's CRM user. The owner's email comes from the extension directory
(sealed; opened here only), the CRM's users from the connector's ``list_users``; they match when
the emails are equal ignoring case and surrounding spaces. The result is cached in
``crm_connections.user_map`` as extension pseudonym → CRM user id: no email is kept there.

Not mapped (logged without an owner; counted by :func:`unmapped_users` for the health API): an
extension without an email, an email no CRM user has, an email two CRM users share (ambiguous),
or a connector that cannot list users. A per-user connection needs no map (it acts as its user).

``logging.users`` refreshes every org-wide connection's map; the extension directory's refresh
submits it (so both are refreshed together, daily), and so does connecting a CRM.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.connectors.base import (
    AuthExpired,
    Capability,
    CrmUser,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)
from callbridge.db.models import ConnectionStatus, CrmConnection, DirectoryEntry
from callbridge.jobs.registry import GiveUp, JobContext, RetryLater
from callbridge.pipelines.ingest.names import USERS
from callbridge.pipelines.logging.connections import build_connector, pause_connection
from callbridge.platforms.ringcentral.directory import PERSON_TYPES, open_extension

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["USERS", "MapResult", "map_by_email", "refresh_user_maps", "unmapped_users", "users_job"]

log = logging.getLogger(__name__)
ACTIVE = "Enabled"
MAX_ERROR = 1000


@dataclass(frozen=True)
class MapResult:
    connection_id: str
    mapped: int
    unmapped: int
    error: str | None = None


def _email(value: str | None) -> str:
    return (value or "").strip().casefold()


def map_by_email(people: Iterable[tuple[str, str | None]], users: Sequence[CrmUser]) -> dict[str, str]:
    """``people`` are (extension pseudonym, email) pairs; returns pseudonym → CRM user id for the
    emails exactly one CRM user has (case-insensitive)."""
    by_email: dict[str, set[str]] = {}
    for user in users:
        if _email(user.email) and user.id:
            by_email.setdefault(_email(user.email), set()).add(str(user.id))
    out: dict[str, str] = {}
    for ref, email in people:
        ids = by_email.get(_email(email), set()) if _email(email) else set()
        if len(ids) == 1:
            out[ref] = next(iter(ids))
    return out


def _people(runtime: Runtime, session: Session) -> list[tuple[str, str | None]]:
    rows = session.scalars(select(DirectoryEntry).where(DirectoryEntry.has_email.is_(True)))
    return [(row.ref, open_extension(session, runtime.vault, row).email) for row in rows]


def unmapped_users(session: Session, connection: CrmConnection) -> int:
    """Active people of the directory an org-wide connection cannot log as a CRM user (yet)."""
    if connection.owner_ref is not None:
        return 0
    refs = set(session.scalars(select(DirectoryEntry.ref).where(
        DirectoryEntry.status == ACTIVE, DirectoryEntry.extension_type.in_(sorted(PERSON_TYPES)))))
    return len(refs - set(connection.user_map or {}))


async def _map_one(runtime: Runtime, organization_id: str, connection_id: str,
                   people: list[tuple[str, str | None]]) -> MapResult:
    with runtime.db.tenant(organization_id) as session:
        connection = session.get_one(CrmConnection, connection_id)
        connector = build_connector(runtime, organization_id, connection)
        name = connection.connector
    error: str | None = None
    users: list[CrmUser] | None = None
    try:
        if not people:
            users = []  # nobody to map yet (no directory, or no emails in it): the CRM is not asked
        elif Capability.list_users in connector.info.capabilities:
            users = list(await connector.list_users())
        else:
            users = []
            error = (f"{connector.info.display_name} cannot list its users, so communications are logged "
                     "without an owner; connect each user's own CRM account to log as them.")
    except AuthExpired as exc:
        error = f"{exc} Users could not be mapped to CRM users by email."
        with runtime.db.tenant(organization_id) as session:
            pause_connection(session, runtime, session.get_one(CrmConnection, connection_id), error)
    except (PermissionDenied, InvalidInput, NotFound) as exc:  # the admin must act; retried daily
        error = f"Users could not be mapped to CRM users by email: {exc}"
    finally:
        await connector.aclose()
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        connection = session.get_one(CrmConnection, connection_id)
        if users is not None:  # a failed listing keeps the last good map
            connection.user_map = map_by_email(people, users)
            connection.users_mapped_at = now
        if error:
            connection.last_error, connection.last_error_at = error[:MAX_ERROR], now
        mapped, unmapped = len(connection.user_map or {}), unmapped_users(session, connection)
    log.info("CRM connection %s (%s): %d users mapped by email, %d active users unmapped",
             connection_id, name, mapped, unmapped)
    return MapResult(connection_id, mapped, unmapped, error)


async def refresh_user_maps(runtime: Runtime, organization_id: str,
                            connection_id: str | None = None) -> list[MapResult]:
    """Map the directory's users for every active org-wide connection (or only ``connection_id``);
    a paused one is mapped again when it is reconnected (``create_connection`` asks for it)."""
    with runtime.db.tenant(organization_id) as session:
        query = select(CrmConnection.id).where(CrmConnection.owner_ref.is_(None),  # paused: mapped on resume
                                               CrmConnection.status == ConnectionStatus.active)
        if connection_id is not None:
            query = query.where(CrmConnection.id == connection_id)
        ids = list(session.scalars(query.order_by(CrmConnection.created_at, CrmConnection.id)))
        people = _people(runtime, session) if ids else []
    return [await _map_one(runtime, organization_id, i, people) for i in ids]


def users_job(ctx: JobContext) -> None:
    """``logging.users``: payload ``{"connection_id"?}``. A rate limit waits its Retry-After; an
    outage retries with backoff; a refused token pauses the connection (the admin is told)."""
    if ctx.organization_id is None:
        raise GiveUp("mapping CRM users needs an organization")
    only = ctx.payload.get("connection_id")
    try:
        asyncio.run(refresh_user_maps(ctx.runtime, ctx.organization_id, str(only) if only else None))
    except RateLimited as exc:
        raise RetryLater(str(exc), after=exc.retry_after) from None
