"""CRM connections: connect once (credentials to the vault), build connectors, pause and resume.

How a connector reaches its CRM is a per-process :class:`Wiring` (an httpx transport, a sleep,
the shared contact-match cache); production uses the defaults, tests and benchmarks attach an
in-process transport to a sandbox with :func:`set_wiring`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.connectors.auth import ClientApp
from callbridge.connectors.base import Connector
from callbridge.connectors.credentials import VaultCredentialStore
from callbridge.connectors.matching import MatchCache
from callbridge.connectors.registry import ConnectorContext, RegisteredConnector, get_connector
from callbridge.db.models import ActivityStatus, ConnectionStatus, CrmActivity, CrmConnection
from callbridge.errors import Conflict, InvalidInput, NotFound
from callbridge.http.ssrf import DestinationGuard
from callbridge.jobs.queue import enqueue
from callbridge.pipelines.ingest.names import USERS
from callbridge.privacy.audit import record_audit

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "SECRET_OPTIONS",
    "Wiring",
    "build_connector",
    "create_connection",
    "get_connection",
    "pause_connection",
    "request_user_map",
    "resume_connection",
    "set_wiring",
    "wiring_of",
]

SYNC = "logging.sync"
# option names that would be secrets: refused in options (they belong in the vault)
SECRET_OPTIONS = frozenset({"api_key", "token", "access_token", "refresh_token", "password",
                            "client_secret", "security_token", "secret"})


@dataclass
class Wiring:
    """How this process's connectors reach their CRMs."""

    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    match_cache: MatchCache | None = None
    max_retries: int = 2
    wrap: Callable[[Connector], Connector] | None = None  # test seam: observe or break a connector
    oauth_clients: dict[str, ClientApp] = field(default_factory=dict)  # callbridge's app per connector


_WIRING: weakref.WeakKeyDictionary[Runtime, Wiring] = weakref.WeakKeyDictionary()


def set_wiring(runtime: Runtime, wiring: Wiring) -> None:
    _WIRING[runtime] = wiring


def wiring_of(runtime: Runtime) -> Wiring:
    wiring = _WIRING.get(runtime)
    if wiring is None:
        wiring = Wiring(match_cache=MatchCache(runtime.clock), max_retries=runtime.settings.http_max_retries)
        _WIRING[runtime] = wiring
    return wiring


def purpose_of(connection_id: str) -> str:
    return f"crm-connection:{connection_id}"


_REGISTERED: dict[str, RegisteredConnector] = {}


def registered_connector(name: str) -> RegisteredConnector:
    """The registry entry of ``name``, looked up once per process (manifests compile slowly)."""
    found = _REGISTERED.get(name)
    if found is None:
        found = _REGISTERED[name] = get_connector(name)
    return found


def build_connector(runtime: Runtime, organization_id: str, connection: CrmConnection) -> Connector:
    """A connector for ``connection``, its credentials read from the vault when needed."""
    wiring = wiring_of(runtime)
    registered = registered_connector(connection.connector)
    ctx = ConnectorContext(
        credentials=VaultCredentialStore(runtime, organization_id, connection.credential_purpose),
        options=dict(connection.options), clock=runtime.clock, transport=wiring.transport,
        sleep=wiring.sleep, default_region=runtime.settings.default_region, match_cache=wiring.match_cache,
        max_retries=wiring.max_retries, organization_id=organization_id,
        oauth_client=wiring.oauth_clients.get(connection.connector),
        guard=DestinationGuard(allow_private=runtime.settings.allow_private_destinations))
    connector = registered.build(ctx)
    return wiring.wrap(connector) if wiring.wrap else connector


def get_connection(session: Session, connection_id: str) -> CrmConnection:
    connection = session.get(CrmConnection, connection_id)
    if connection is None:
        raise NotFound(f"No CRM connection {connection_id!r} in your organization.", field="connection_id",
                       hint="list them with GET /api/v1/logging/connections")
    return connection


def create_connection(runtime: Runtime, organization_id: str, connector: str, *,
                      options: Mapping[str, str], credentials: Mapping[str, Mapping[str, str]],
                      name: str | None = None, actor: str) -> str:
    """Add (or, by ``name``, replace the credentials of) a connection; returns its id.

    ``credentials`` (entry name → values, e.g. ``{"api_key:org": {"api_key": …}}``) go to the
    vault only; ``options`` must hold no secret. Reconnecting a paused connection resumes it.
    """
    registered_connector(connector)  # an unknown connector fails here, naming the known ones
    leaked = sorted(SECRET_OPTIONS & set(options))
    if leaked:
        raise InvalidInput(f"Connection options may not carry secrets ({', '.join(leaked)}).",
                           field="options", hint="pass them as credentials; they are sealed in the vault")
    now = runtime.clock.now()
    name = name or connector
    with runtime.db.tenant(organization_id) as session:
        row = session.scalars(select(CrmConnection).where(CrmConnection.name == name)).first()
        if row is None:
            row = CrmConnection(name=name, connector=connector, options=dict(options),
                                status=ConnectionStatus.active, credential_purpose="", user_map={},
                                created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            row.credential_purpose = purpose_of(row.id)
            action = "crm.connected"
        else:
            if row.connector != connector:
                raise Conflict(f"The connection {name!r} is a {row.connector} connection, not {connector}.",
                               field="name", hint="pick another name for the new connection")
            row.options = {**row.options, **options}
            row.updated_at = now
            action = "crm.reconnected"
        connection_id = row.id
        for entry, values in credentials.items():
            runtime.vault.put(session, row.credential_purpose, entry, _sealed(values))
        record_audit(session, runtime.clock, actor=actor, action=action, object_type="crm_connection",
                     object_id=connection_id, connector=connector)
    if credentials:
        resume_connection(runtime, organization_id, connection_id, actor=actor)
    request_user_map(runtime, organization_id, connection_id)
    return connection_id


def request_user_map(runtime: Runtime, organization_id: str, connection_id: str) -> None:
    """Queue the mapping of the directory's users to the connection's CRM users (``logging.users``)."""
    if USERS not in runtime.registry:
        return
    stamp = int(runtime.clock.now().timestamp() * 1000)
    runtime.submit(organization_id, USERS, {"connection_id": connection_id},
                   key=f"{USERS}:connect:{connection_id}:{stamp}")
    runtime.broker.wake()


def _sealed(values: Mapping[str, str]) -> str:
    import json

    return json.dumps({str(k): str(v) for k, v in values.items()}, sort_keys=True)


def pause_connection(session: Session, runtime: Runtime, connection: CrmConnection, reason: str) -> None:
    """Stop logging through ``connection`` until an admin reconnects; audited (the admin's notice)."""
    if connection.status is ConnectionStatus.paused:
        return
    now = runtime.clock.now()
    connection.status = ConnectionStatus.paused
    connection.paused_reason = reason[:1000]
    connection.paused_at = now
    connection.last_error = reason[:1000]
    connection.last_error_at = now
    connection.updated_at = now
    record_audit(session, runtime.clock, actor="system:logging", action="crm.connection_paused",
                 object_type="crm_connection", object_id=connection.id, connector=connection.connector,
                 reason=reason[:300])


def resume_connection(runtime: Runtime, organization_id: str, connection_id: str, *, actor: str) -> int:
    """Set the connection active and queue every communication that waited; returns how many."""
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        connection = get_connection(session, connection_id)
        was_paused = connection.status is ConnectionStatus.paused
        connection.status = ConnectionStatus.active
        connection.paused_reason = None
        connection.updated_at = now
        waiting = list(session.scalars(select(CrmActivity).where(
            CrmActivity.connection_id == connection_id,
            (CrmActivity.needs_sync.is_(True)) | (CrmActivity.status == ActivityStatus.waiting))))
        stamp = int(now.timestamp() * 1000)
        for row in waiting:
            if row.communication_id:
                enqueue(session, runtime.clock, SYNC, {"communication_id": row.communication_id},
                        key=f"{SYNC}:{row.communication_id}:resume:{connection_id}:{stamp}",
                        max_attempts=runtime.settings.job_max_attempts)
        if was_paused:
            record_audit(session, runtime.clock, actor=actor, action="crm.connection_resumed",
                         object_type="crm_connection", object_id=connection_id, queued=len(waiting))
    if waiting:
        runtime.broker.wake()
    return len(waiting)


def consistency_window(runtime: Runtime, connector: Connector) -> timedelta:
    """How long after an unsure create the CRM's search is trusted to show it (Decision 3)."""
    configured = runtime.settings.logging_consistency_window_seconds
    if configured is not None:
        return timedelta(seconds=configured)
    lag = connector.info.search_lag
    return lag + timedelta(seconds=5) if lag else timedelta(0)
