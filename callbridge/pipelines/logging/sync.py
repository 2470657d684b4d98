"""One communication → exactly one CRM activity per connection, updated by 3-way merge.

For each connection (Invariant 1):

1. **Reserve**: the ``crm_activities`` row (unique per connection and communication key) is
   written, with its marker, before the CRM is asked anything.
2. **Lease**: a worker takes the row for ``logging_lease_seconds`` with a guarded UPDATE; a
   second worker on the same communication waits (``retry_after``) instead of creating too.
3. **Create**: the row is set ``creating`` and committed, then the CRM creates the activity with
   the marker; its id and what the CRM returned ("last written") are stored right after.
4. **Reconcile**: a row found ``creating`` without an id means a worker died between "the CRM
   created it" and "we stored the id": after the consistency window (HubSpot's search lag) the
   marker is searched; found → adopted, not found → created.
5. **Update** (Invariant 2): read the activity, ``merge_fields`` + ``merge_body`` against our last
   write, write only what is still ours; "last written" moves only for what we wrote.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbridge.connectors.base import (
    Activity,
    ActivityDraft,
    AuthExpired,
    Connector,
    ConnectorError,
    ContactMatch,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.db.models import (
    ActivityStatus,
    ConnectionStatus,
    CrmActivity,
    CrmConnection,
    PlaceholderContact,
)
from callbridge.domain.communication import Communication
from callbridge.domain.merge import FieldValue, merge_body, merge_fields, parse_sections, render_section
from callbridge.pipelines.ingest.platform import zone_for
from callbridge.pipelines.logging.connections import (
    build_connector,
    consistency_window,
    pause_connection,
)
from callbridge.pipelines.logging.draft import build_draft, desired_hash
from callbridge.pipelines.logging.links import recording_link
from callbridge.pipelines.logging.preferences import Preferences, effective_preferences, sms_wanted
from callbridge.pipelines.logging.source import load_communication

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["SyncResult", "sync_communication"]

log = logging.getLogger(__name__)
MAX_ERROR = 1000


@dataclass
class SyncResult:
    """What happened for one connection."""

    connection_id: str
    status: str
    crm_activity_id: str | None = None
    retry_after: timedelta | None = None  # try again, not before this
    error: str | None = None  # an actionable message
    permanent: bool = False  # retrying as is cannot help (bad data, missing permission)


@dataclass(frozen=True)
class _Row:
    id: str
    status: ActivityStatus
    marker: str
    crm_activity_id: str | None
    contact_id: str | None
    contact_type: str | None
    notes: str | None
    disposition: str | None
    last_written: dict[str, Any]
    last_written_body: str | None
    desired_hash: str | None
    create_started_at: datetime | None

    @classmethod
    def of(cls, row: CrmActivity) -> _Row:
        return cls(row.id, row.status, row.marker, row.crm_activity_id, row.contact_id, row.contact_type,
                   row.notes, row.disposition, dict(row.last_written or {}), row.last_written_body,
                   row.desired_hash, row.create_started_at)


class _Ambiguous(Exception):
    def __init__(self, candidates: list[ContactMatch]) -> None:
        super().__init__("several contacts match")
        self.candidates = candidates


def _day(comm: Communication, zone: ZoneInfo) -> str:
    """The communication's day as its owner sees it (``zone``: the owner's, see ``zone_for``)."""
    when = comm.started_at
    if when is None:
        return ""
    return when.astimezone(zone).date().isoformat()


def _connections_for(session: Session, comm: Communication) -> list[str]:
    """The connections ``comm`` is logged through.

    Org-wide connections (an admin connected once) log everyone's communications; a user's own
    connection takes precedence over the org-wide ones to the same CRM (connector) for that
    user's communications. A communication already reserved through a connection stays with it,
    so a user who connects personally later never gets a second activity for it.
    """
    rows = list(session.scalars(
        select(CrmConnection).where(or_(CrmConnection.owner_ref.is_(None),
                                        CrmConnection.owner_ref == comm.owner_ref))
        .order_by(CrmConnection.created_at, CrmConnection.id)))
    reserved = set(session.scalars(select(CrmActivity.connection_id).where(
        CrmActivity.communication_key == comm.key)))
    chosen = []
    for connector in dict.fromkeys(c.connector for c in rows):
        group = [c for c in rows if c.connector == connector]
        already = [c for c in group if c.id in reserved]
        personal = [c for c in group if c.owner_ref is not None]
        chosen += [c.id for c in (already or personal or group)]
    return chosen


def _crm_owner(connection: CrmConnection, comm: Communication) -> str | None:
    """The CRM user an org-wide connection logs ``comm`` as: its owner mapped by email; None when
    unmapped (logged without an owner, counted in the connection's health) or per-user."""
    if connection.owner_ref is not None or not comm.owner_ref:
        return None
    owner = (connection.user_map or {}).get(comm.owner_ref)
    return str(owner) if owner else None


async def sync_communication(runtime: Runtime, organization_id: str, communication_id: str, *,
                             worker: str) -> list[SyncResult]:
    """Log ``communication_id`` to every connection of the organization that it belongs to."""
    with runtime.db.tenant(organization_id) as session:
        comm = load_communication(session, communication_id)
        connections = _connections_for(session, comm)
    results = []
    for connection_id in connections:
        results.append(await _sync_connection(runtime, organization_id, communication_id, comm, connection_id,
                                              worker=worker))
    return results


def _reserve(runtime: Runtime, organization_id: str, connection_id: str, communication_id: str,
             comm: Communication) -> str:
    now = runtime.clock.now()
    for _ in range(2):
        try:
            with runtime.db.tenant(organization_id) as session:
                row = session.scalars(select(CrmActivity).where(
                    CrmActivity.connection_id == connection_id,
                    CrmActivity.communication_key == comm.key)).first()
                if row is not None:
                    if row.communication_id != communication_id:
                        row.communication_id = communication_id
                    return row.id
                row = CrmActivity(connection_id=connection_id, communication_key=comm.key,
                                  communication_id=communication_id, kind=comm.kind.value,
                                  status=ActivityStatus.reserved, marker="", candidates=[], last_written={},
                                  needs_sync=False, created_at=now, updated_at=now)
                session.add(row)
                session.flush()
                row.marker = f"cb-{row.id}"
                return row.id
        except IntegrityError:  # another worker reserved it first: use theirs
            continue
    raise RuntimeError(f"could not reserve the activity of {comm.key}")


def _set(runtime: Runtime, organization_id: str, row_id: str, **values: Any) -> None:
    with runtime.db.tenant(organization_id) as session:
        row = session.get_one(CrmActivity, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = runtime.clock.now()


def _release(runtime: Runtime, organization_id: str, row_id: str, worker: str, **values: Any) -> None:
    with runtime.db.tenant(organization_id) as session:
        row = session.get_one(CrmActivity, row_id)
        for name, value in values.items():
            setattr(row, name, value)
        if row.lease_owner == worker:
            row.lease_owner = None
            row.lease_until = None
        row.updated_at = runtime.clock.now()


def _claim(runtime: Runtime, organization_id: str, row_id: str, worker: str) -> timedelta | None:
    """Take the row's lease; returns None when taken, else how long the other holder keeps it."""
    now = runtime.clock.now()
    lease = timedelta(seconds=runtime.settings.logging_lease_seconds)
    with runtime.db.tenant(organization_id) as session:
        claimed = session.execute(
            update(CrmActivity)
            .where(CrmActivity.id == row_id,
                   or_(CrmActivity.lease_until.is_(None), CrmActivity.lease_until <= now))
            .values(lease_owner=worker, lease_until=now + lease, updated_at=now)
            .execution_options(synchronize_session=False))
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            return None
        until = session.scalars(select(CrmActivity.lease_until).where(CrmActivity.id == row_id)).first()
    return max((until - now) if until else lease, timedelta(seconds=1))


def _note_connection(runtime: Runtime, organization_id: str, connection_id: str, *,
                     error: str | None) -> None:
    now = runtime.clock.now()
    with runtime.db.tenant(organization_id) as session:
        connection = session.get_one(CrmConnection, connection_id)
        if error is None:
            connection.last_success_at = now
        else:
            connection.last_error = error[:MAX_ERROR]
            connection.last_error_at = now


async def _sync_connection(runtime: Runtime, organization_id: str, communication_id: str, comm: Communication,
                           connection_id: str, *, worker: str) -> SyncResult:
    with runtime.db.tenant(organization_id) as session:
        connection = session.get_one(CrmConnection, connection_id)
        paused = connection.status is ConnectionStatus.paused
        prefs = effective_preferences(session, comm.owner_ref)
        ok, why = sms_wanted(runtime, session, comm, prefs)
        owner_id = _crm_owner(connection, comm)
        day = _day(comm, zone_for(session, comm.owner_ref))
    row_id = _reserve(runtime, organization_id, connection_id, communication_id, comm)
    with runtime.db.tenant(organization_id) as session:
        snapshot = _Row.of(session.get_one(CrmActivity, row_id))
    if not ok:
        if snapshot.crm_activity_id is None:
            _set(runtime, organization_id, row_id, status=ActivityStatus.skipped, last_error=why)
        return SyncResult(connection_id, ActivityStatus.skipped.value, snapshot.crm_activity_id)
    if snapshot.status is ActivityStatus.failed:
        return SyncResult(connection_id, "failed", snapshot.crm_activity_id,
                          error="relog it by hand once fixed")
    if paused:
        values: dict[str, Any] = {"needs_sync": True}
        if snapshot.crm_activity_id is None and snapshot.status is not ActivityStatus.creating:
            values["status"] = ActivityStatus.waiting
        _set(runtime, organization_id, row_id, **values)
        return SyncResult(connection_id, "paused", snapshot.crm_activity_id)
    if snapshot.status is ActivityStatus.ambiguous and snapshot.contact_id is None:
        return SyncResult(connection_id, "ambiguous")
    wait = _claim(runtime, organization_id, row_id, worker)
    if wait is not None:
        return SyncResult(connection_id, "busy", snapshot.crm_activity_id, retry_after=wait)
    with runtime.db.tenant(organization_id) as session:
        snapshot = _Row.of(session.get_one(CrmActivity, row_id))
        connection = session.get_one(CrmConnection, connection_id)
        link = (recording_link(runtime, session, communication_id, comm.recording.id,
                               started_at=comm.started_at)
                if comm.recording is not None and prefs.include_recording_link else None)
        connector = build_connector(runtime, organization_id, connection)
    try:
        return await _write(runtime, organization_id, connection_id, row_id, snapshot, comm, prefs, connector,
                            link, worker=worker, day=day, owner_id=owner_id)
    except Exception as exc:
        return _failed(runtime, organization_id, connection_id, row_id, snapshot, exc, worker=worker)
    finally:
        await connector.aclose()


def _failed(runtime: Runtime, organization_id: str, connection_id: str, row_id: str, snapshot: _Row,
            exc: Exception, *, worker: str) -> SyncResult:
    message = (str(exc) or type(exc).__name__)[:MAX_ERROR]
    with runtime.db.tenant(organization_id) as session:
        row = session.get_one(CrmActivity, row_id)
        in_doubt_before = snapshot.status is ActivityStatus.creating  # an earlier create's outcome unknown
        # this attempt's create was refused for sure (429, 401, 400, 403): nothing was created
        unsure = row.status is ActivityStatus.creating and row.crm_activity_id is None and not in_doubt_before
    if isinstance(exc, RateLimited):
        values: dict[str, Any] = {"last_error": message}
        if unsure:
            values["status"] = ActivityStatus.reserved  # a refused request created nothing
        _release(runtime, organization_id, row_id, worker, **values)
        _note_connection(runtime, organization_id, connection_id, error=message)
        return SyncResult(connection_id, "rate_limited", snapshot.crm_activity_id,
                          retry_after=exc.retry_after, error=message)
    if isinstance(exc, AuthExpired):
        values = {"needs_sync": True, "last_error": message}
        if snapshot.crm_activity_id is None and not in_doubt_before:
            values["status"] = ActivityStatus.waiting  # a create in doubt stays so: reconciled on resume
        _release(runtime, organization_id, row_id, worker, **values)
        with runtime.db.tenant(organization_id) as session:
            connection = session.get_one(CrmConnection, connection_id)
            pause_connection(session, runtime, connection,
                             f"{message} Logging through this connection is paused; reconnect it "
                             f"(callbridge connect {connection.connector} …) and it resumes without loss.")
        return SyncResult(connection_id, "paused", snapshot.crm_activity_id, error=message)
    if isinstance(exc, InvalidInput | PermissionDenied | NotFound):
        values = {"last_error": message}
        if not in_doubt_before:  # a create in doubt stays so: a relog reconciles before creating
            values["status"] = ActivityStatus.failed  # until relogged by hand
        _release(runtime, organization_id, row_id, worker, **values)
        _note_connection(runtime, organization_id, connection_id, error=message)
        return SyncResult(connection_id, "failed", snapshot.crm_activity_id, error=message, permanent=True)
    after = timedelta(seconds=runtime.settings.logging_unavailable_retry_seconds)
    if not isinstance(exc, Unavailable | ConnectorError):
        log.exception("logging %s to connection %s failed", row_id, connection_id)
    _release(runtime, organization_id, row_id, worker, last_error=message)
    _note_connection(runtime, organization_id, connection_id, error=message)
    return SyncResult(connection_id, "error", snapshot.crm_activity_id, retry_after=after, error=message)


PLACEHOLDER_TAKEOVER = timedelta(minutes=10)


async def _placeholder(runtime: Runtime, organization_id: str, connection_id: str, connector: Connector,
                       phone: str, prefs: Preferences) -> ContactMatch:
    """The placeholder contact for ``phone``: reused when made before, else reserved, then created.

    The reservation row is written before the CRM call, so two calls from one unknown number make
    one contact even while the CRM's search does not show it yet. A reservation whose creator died
    is taken over after a while, searching the CRM again first (its search has caught up by then).
    """
    crm = connector.info.display_name
    busy = Unavailable(crm, "another job is creating the placeholder contact for this number; this "
                       "communication is logged on it once it exists.",
                       hint="nothing to do: it retries by itself")
    now = runtime.clock.now()
    try:
        with runtime.db.tenant(organization_id) as session:
            ref = runtime.pseudonyms.pseudonym(session, "phone", phone)
            query = select(PlaceholderContact).where(
                PlaceholderContact.connection_id == connection_id, PlaceholderContact.phone_ref == ref)
            row = session.scalars(query).one_or_none()
            if row is not None and row.contact_id:
                return ContactMatch(row.contact_id, row.contact_type or "", "")
            if row is not None and now - row.reserved_at < PLACEHOLDER_TAKEOVER:
                raise busy
            taking_over = row is not None
            if row is None:
                row = PlaceholderContact(connection_id=connection_id, phone_ref=ref, reserved_at=now)
                session.add(row)
            row.reserved_at = now
            session.flush()
            placeholder_id = row.id
    except IntegrityError:
        raise busy from None  # another worker reserved the same number a moment ago
    found = list(await connector.find_contact(phone)) if taking_over else []
    if len(found) > 1:
        raise _Ambiguous(found)
    match = found[0] if found else await connector.create_contact(
        phone, prefs.placeholder_name.replace("{number}", phone))
    with runtime.db.tenant(organization_id) as session:
        row = session.get_one(PlaceholderContact, placeholder_id)
        row.contact_id, row.contact_type = match.id, match.type
    return match


async def _contact(runtime: Runtime, organization_id: str, connection_id: str, row_id: str,
                   connector: Connector, comm: Communication, prefs: Preferences,
                   snapshot: _Row) -> ContactMatch | None:
    if snapshot.contact_id:
        return ContactMatch(snapshot.contact_id, snapshot.contact_type or "", "")
    party = comm.counterpart
    phone = party.phone if party else None
    if not phone:
        return None
    matches = list(await connector.find_contact(phone))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        if prefs.placeholder_contacts == "create":
            return await _placeholder(runtime, organization_id, connection_id, connector, phone, prefs)
        return None
    if prefs.several_matches == "type_order":
        order = {t.lower(): i for i, t in reversed(list(enumerate(prefs.type_order)))}
        return sorted(matches, key=lambda m: order.get(m.type.lower(), len(order)))[0]
    if prefs.several_matches == "last_used":
        with runtime.db.tenant(organization_id) as session:
            used = session.scalars(
                select(CrmActivity.contact_id)
                .where(CrmActivity.connection_id == connection_id,
                       CrmActivity.contact_id.in_([m.id for m in matches]), CrmActivity.id != row_id)
                .order_by(CrmActivity.synced_at.desc().nulls_last(), CrmActivity.updated_at.desc())).first()
        chosen = next((m for m in matches if m.id == used), None)
        if chosen is not None:
            return chosen
    raise _Ambiguous(matches)


def _lw_body(old: str | None, current: str, returned: str, desired: dict[str, str]) -> str:
    """Our last write of each section: what the CRM returned for the sections we wrote,
    our older write for sections a person had changed (so they stay theirs)."""
    ours = parse_sections(old or "")
    theirs = parse_sections(current)
    back = parse_sections(returned)
    kept: dict[str, str] = {}
    for name, text in back.items():
        person_edited = name in ours and name in theirs and theirs[name] != ours[name]
        if person_edited and name in ours:
            kept[name] = ours[name]
        elif name in desired or name in ours:
            kept[name] = text
    return "\n\n".join(render_section(n, t) for n, t in kept.items())


def _get(connector: Connector, kind: str, activity_id: str) -> Any:
    if kind == "message":
        return connector.get_message_log(activity_id)
    return connector.get_call_log(activity_id)


def _update(connector: Connector, kind: str, activity_id: str, changes: dict[str, FieldValue],
            body: str | None) -> Any:
    if kind == "message":
        return connector.update_message_log(activity_id, changes, body)
    return connector.update_call_log(activity_id, changes, body)


async def _write(runtime: Runtime, organization_id: str, connection_id: str, row_id: str, snapshot: _Row,
                 comm: Communication, prefs: Preferences, connector: Connector, link: str | None, *,
                 worker: str, day: str, owner_id: str | None) -> SyncResult:
    now = runtime.clock.now()
    contact: ContactMatch | None = None
    activity: Activity | None = None
    if snapshot.crm_activity_id is None:
        if snapshot.status is ActivityStatus.creating:
            window = consistency_window(runtime, connector)
            ready = (snapshot.create_started_at or now) + window
            if now < ready:
                _release(runtime, organization_id, row_id, worker)
                return SyncResult(connection_id, "reconciling", retry_after=ready - now)
            kind = build_draft(comm, prefs, marker=snapshot.marker, contact=None, occurred_at=now, day=day,
                               recording_url=None, notes=None, disposition=None).kind
            found = await connector.find_activity_by_marker(snapshot.marker, kind)
            if found is not None:
                log.info("activity %s found by its marker; adopted, not created again", found.id)
                _set(runtime, organization_id, row_id, crm_activity_id=found.id, url=found.url or None,
                     status=ActivityStatus.created, last_written=_jsonable(found.fields),
                     last_written_body=found.body)
                snapshot = _replace(snapshot, crm_activity_id=found.id, last_written=_jsonable(found.fields),
                                    last_written_body=found.body, status=ActivityStatus.created)
        if snapshot.crm_activity_id is None:
            try:
                contact = await _contact(runtime, organization_id, connection_id, row_id, connector, comm,
                                         prefs, snapshot)
            except _Ambiguous as amb:
                _release(runtime, organization_id, row_id, worker, status=ActivityStatus.ambiguous,
                         candidates=[{"id": m.id, "type": m.type, "name": m.name} for m in amb.candidates])
                return SyncResult(connection_id, ActivityStatus.ambiguous.value)
            draft = _draft(comm, prefs, snapshot, contact, link, day, now, owner_id)
            _set(runtime, organization_id, row_id, status=ActivityStatus.creating, create_started_at=now,
                 contact_id=contact.id if contact else None, contact_type=contact.type if contact else None)
            create = connector.create_message_log if draft.kind == "message" else connector.create_call_log
            activity = await create(draft)
            _release(runtime, organization_id, row_id, worker, crm_activity_id=activity.id,
                     url=activity.url or None, status=ActivityStatus.created,
                     last_written=_jsonable(activity.fields), last_written_body=activity.body,
                     desired_hash=desired_hash(connector, draft), needs_sync=False, last_error=None,
                     synced_at=runtime.clock.now(), candidates=[])
            _note_connection(runtime, organization_id, connection_id, error=None)
            return SyncResult(connection_id, ActivityStatus.created.value, activity.id)
    assert snapshot.crm_activity_id is not None
    if snapshot.contact_id:
        contact = ContactMatch(snapshot.contact_id, snapshot.contact_type or "", "")
    draft = _draft(comm, prefs, snapshot, contact, link, day, now, owner_id)
    wanted_hash = desired_hash(connector, draft)
    if wanted_hash == snapshot.desired_hash:
        _release(runtime, organization_id, row_id, worker, needs_sync=False, status=ActivityStatus.created)
        return SyncResult(connection_id, "unchanged", snapshot.crm_activity_id)
    current = await _get(connector, draft.kind, snapshot.crm_activity_id)
    merged = merge_fields(snapshot.last_written, current.fields, connector.fields_of(draft))
    body = merge_body(snapshot.last_written_body, current.body, draft.body_sections)
    last_written = dict(snapshot.last_written)
    last_body = snapshot.last_written_body
    if merged.changes or body is not None:
        after: Activity = await _update(connector, draft.kind, snapshot.crm_activity_id, merged.changes, body)
        fields = _jsonable(after.fields)
        for name in merged.changes:
            last_written[name] = fields.get(name)
        if body is not None:
            last_body = _lw_body(snapshot.last_written_body, current.body, after.body,
                                 dict(draft.body_sections))
    _release(runtime, organization_id, row_id, worker, last_written=last_written, last_written_body=last_body,
             desired_hash=wanted_hash, needs_sync=False, status=ActivityStatus.created, last_error=None,
             synced_at=runtime.clock.now())
    _note_connection(runtime, organization_id, connection_id, error=None)
    if merged.kept:
        log.info("activity %s: kept a person's edits of %s", snapshot.crm_activity_id, ", ".join(merged.kept))
    return SyncResult(connection_id, "updated", snapshot.crm_activity_id)


def _draft(comm: Communication, prefs: Preferences, snapshot: _Row, contact: ContactMatch | None,
           link: str | None, day: str, now: datetime, owner_id: str | None) -> ActivityDraft:
    return build_draft(comm, prefs, marker=snapshot.marker, contact=contact,
                       occurred_at=comm.started_at or now, day=day, recording_url=link, notes=snapshot.notes,
                       disposition=snapshot.disposition, owner_id=owner_id)


def _replace(snapshot: _Row, **changes: Any) -> _Row:
    from dataclasses import replace

    return replace(snapshot, **changes)


def _jsonable(fields: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(dict(fields), default=str))
    return loaded

