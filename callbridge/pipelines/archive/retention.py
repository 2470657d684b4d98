"""Retention watch: warn before RingCentral's retention deletes something not yet archived.

Retention facts (reference §7, "Data retention policies"; subject to change):

    automatic and on-demand call recordings   90 days (30 on HIPAA accounts)
    sent faxes                                 30 days
    voicemail, received faxes                  no time limit (30 days on HIPAA accounts)
    SMS/MMS                                    no time limit (count limits only)
    call log                                   12 months for most accounts (9 for some)

"Unarchived" is what the archive knows is missing: objects still ``pending`` (listed, not yet
stored) and the time since each cursor (nothing after it has been listed yet; a connection with
no cursor has never been archived). A warning is raised when the oldest such item is within
``archive_retention_warn_days`` of its retention age, or past it (``lost``: deleted by now).
Call-count based limits (200 unheard voicemails, 5,000 SMS per folder, 100,000 recordings per
account) cannot be predicted from dates; they are named in the advice, not computed.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from callbridge.config import Settings
from callbridge.db.models import ArchiveCursor, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.accounts import RINGCENTRAL_PURPOSE, accounts_of, connection_names

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "RINGCENTRAL_PURPOSE",
    "RetentionWarning",
    "connection_names",
    "retention_days",
    "retention_watch",
    "warn_retention",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionWarning:
    dataset: str
    items: int | None  # None: not known (a period not listed yet)
    oldest: str  # ISO day of the oldest unarchived item
    deleted_on: str  # ISO day RingCentral's retention deletes it
    days_left: int  # negative: already past retention
    message: str

    @property
    def lost(self) -> bool:
        return self.days_left < 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lost": self.lost}


def retention_days(settings: Settings) -> dict[str, int | None]:
    """Days RingCentral keeps each kind (None: no time limit)."""
    hipaa = settings.archive_hipaa_retention
    return {
        "recording": 30 if hipaa else 90,
        "sent_fax": 30,
        "voicemail": 30 if hipaa else None,
        "received_fax": 30 if hipaa else None,
        "sms": None,
        "call_log": settings.archive_call_log_retention_days,
    }


def _attachment_kind(message_type: str | None, direction: str | None) -> str:
    if message_type == "Fax":
        return "sent_fax" if direction == "Outbound" else "received_fax"
    if message_type == "VoiceMail":
        return "voicemail"
    return "sms"


def retention_watch(
    runtime: Runtime, organization_id: str, *, now: datetime | None = None, warn_days: int | None = None
) -> list[RetentionWarning]:
    """Warnings for unarchived items within ``warn_days`` of their retention age (oldest first)."""
    now = now or runtime.clock.now()
    warn = runtime.settings.archive_retention_warn_days if warn_days is None else warn_days
    days = retention_days(runtime.settings)
    today = now.date()
    out: list[RetentionWarning] = []

    def consider(dataset: str, kind: str, oldest: date, items: int | None, what: str) -> None:
        keep = days[kind]
        if keep is None:
            return
        deleted_on = oldest + timedelta(days=keep)
        left = (deleted_on - today).days
        if left > warn:
            return
        count = f"{items} " if items is not None else ""
        if left < 0:
            message = (
                f"{count}{what} from {oldest.isoformat()} on are past RingCentral's {keep}-day retention "
                "and may already be deleted: archive now (callbridge archive run)"
            )
        else:
            message = (
                f"{count}{what} from {oldest.isoformat()} on are not archived and RingCentral deletes "
                f"them after {keep} days, on {deleted_on.isoformat()} ({left} days left): run "
                "'callbridge archive run', or see 'callbridge archive plan' if the backlog cannot finish"
            )
        out.append(
            RetentionWarning(dataset, items, oldest.isoformat(), deleted_on.isoformat(), left, message)
        )

    with runtime.db.tenant(organization_id) as session:
        # objects listed but not stored yet
        for day, count in session.execute(
            select(func.min(ArchivedObject.day), func.count()).where(
                ArchivedObject.kind == "recording", ArchivedObject.status == "pending"
            )
        ):
            if count:
                consider("recordings", "recording", date.fromisoformat(day), count, "call recordings")
        pending_attachments: dict[str, tuple[str, int]] = {}
        rows = session.execute(
            select(ArchivedObject.day, ArchivedMessage.message_type, ArchivedMessage.direction)
            .join(
                ArchivedMessage,
                (ArchivedMessage.account == ArchivedObject.account)
                & (ArchivedMessage.message_id == ArchivedObject.parent_id),
            )
            .where(ArchivedObject.kind == "attachment", ArchivedObject.status == "pending")
        )
        for day, message_type, direction in rows:
            kind = _attachment_kind(message_type, direction)
            oldest, count = pending_attachments.get(kind, (day, 0))
            pending_attachments[kind] = (min(oldest, day), count + 1)
        for kind, (day, count) in sorted(pending_attachments.items()):
            consider(
                "attachments", kind, date.fromisoformat(day), count, f"{kind.replace('_', ' ')} attachments"
            )

        # periods not listed yet: everything since each cursor
        cursors = {(c.account, c.dataset): c.position for c in session.scalars(select(ArchiveCursor))}
        accounts = accounts_of(session, runtime.vault)
    # cursors are kept per account (older versions kept them per connection); connections of one
    # account (a pool) share them and are reported together
    by_key: dict[str, list[str]] = {}
    for connection, account in sorted(accounts.items()):
        key = account if account and any(k == account for k, _ in cursors) else connection
        by_key.setdefault(key, []).append(connection)
    for key, members in sorted(by_key.items(), key=lambda kv: kv[1]):
        name = f"{members[0]!r}" if len(members) == 1 else " + ".join(repr(m) for m in members)
        who = f"connection {name}" if len(members) == 1 else f"connections {name}"
        calls, messages = cursors.get((key, "calls")), cursors.get((key, "messages"))
        if calls is None and messages is None:
            out.append(
                RetentionWarning(
                    "all",
                    None,
                    "",
                    "",
                    -1,
                    f"RingCentral {who} has never been archived: recordings older than "
                    f"{days['recording']} days are already being deleted. Run 'callbridge archive run' "
                    "(and 'callbridge archive plan' to see how long the backlog takes)",
                )
            )
            continue
        if calls is not None:
            consider("recordings", "recording", calls.date(), None, f"calls and recordings of {name}")
            consider("calls", "call_log", calls.date(), None, f"call-log records of {name}")
        if messages is not None:
            consider("messages", "sent_fax", messages.date(), None, f"messages (sent faxes) of {name}")
            consider("messages", "voicemail", messages.date(), None, f"voicemails of {name}")
    out.sort(key=lambda w: (w.days_left, w.dataset))
    return out


def warn_retention(runtime: Runtime, organization_id: str) -> list[RetentionWarning]:
    """For the worker's schedule: log each warning (counts and days only, no personal data)."""
    warnings = retention_watch(runtime, organization_id)
    for w in warnings:
        log.warning("archive retention (organization %s): %s", organization_id, w.message)
    return warnings
