"""Delete after archive (message store only; off by default).

A message is deleted from RingCentral only when its archived copy is verified *now*: its record
is in the database and every attachment callbridge archives for it is in storage with the size
and sha256 recorded when it was downloaded (the object is re-read and re-hashed). Anything
else — an attachment pending, missing, changed or corrupted at rest — keeps the message on the
platform and is reported with the reason. Only messages older than
``archive_delete_min_age_days`` are candidates. ``dry_run`` reports what would go and deletes
nothing. Deleted messages move to RingCentral's Deleted folder (purged 5 days later, guide
"Messaging"); the row keeps ``platform_deleted_at``.

Calls and recordings are never deleted: the call log has no delete in the public API used here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from callbridge.db.models import ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.records import SKIPPED_ATTACHMENTS
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.errors import NotFound
from callbridge.platforms.ringcentral.factory import RingCentralSession

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["DELETE_BATCH", "DeleteReport", "deletable", "delete_archived"]

DELETE_BATCH = 50  # ids per DELETE, like the message store's bulk GET
_EXTENSION = re.compile(r"/extension/([^/]+)/message-store/")


@dataclass
class DeleteReport:
    dry_run: bool
    eligible: list[str] = field(default_factory=list)  # message ids verified and old enough
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # message id -> why it stays

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "eligible": len(self.eligible),
            "deleted": len(self.deleted),
            "kept": len(self.kept),
            "would_delete" if self.dry_run else "deleted_ids": self.eligible
            if self.dry_run
            else self.deleted,
            "kept_reasons": self.kept,
        }


def _problem(store: ObjectStore, obj: ArchivedObject) -> str | None:
    if obj.status != "stored" or not obj.path:
        return f"attachment {obj.source_id} is {obj.status}, not archived"
    if obj.size is None or not obj.sha256:
        return f"attachment {obj.source_id} has no recorded size and sha256"
    if not store.exists(obj.path):
        return f"attachment {obj.source_id} is missing from storage"
    if store.size(obj.path) != obj.size:
        return f"attachment {obj.source_id} has a different size in storage"
    if store.sha256(obj.path) != obj.sha256:
        return f"attachment {obj.source_id} fails its sha256 check"
    return None


def deletable(
    runtime: Runtime, organization_id: str, store: ObjectStore, now: datetime, report: DeleteReport
) -> dict[str, list[str]]:
    """Messages whose archive verifies now, by extension id (the platform's, from the record)."""
    settings = runtime.settings
    cutoff = now - timedelta(days=settings.archive_delete_min_age_days)
    by_extension: dict[str, list[str]] = defaultdict(list)
    with runtime.db.tenant(organization_id) as session:
        messages = list(
            session.scalars(
                select(ArchivedMessage)
                .where(ArchivedMessage.platform_deleted_at.is_(None), ArchivedMessage.creation_time <= cutoff)
                .order_by(ArchivedMessage.creation_time, ArchivedMessage.message_id)
            )
        )
        objects: dict[tuple[str, str], ArchivedObject] = {
            (o.account, o.source_id): o
            for o in session.scalars(select(ArchivedObject).where(ArchivedObject.kind == "attachment"))
        }
        for msg in messages:
            if msg.availability not in (None, "Alive"):
                continue  # already deleted or purged on the platform
            match = _EXTENSION.search(str(msg.raw.get("uri") or ""))
            if match is None:
                report.kept[msg.message_id] = "the archived record has no message-store address"
                continue
            problem = None
            for att in msg.raw.get("attachments") or []:
                if att.get("type") in SKIPPED_ATTACHMENTS and not settings.archive_transcriptions:
                    continue
                obj = objects.get((msg.account, f"{msg.message_id}:{att.get('id')}"))
                problem = (
                    f"attachment {msg.message_id}:{att.get('id')} was never listed for archiving"
                    if obj is None
                    else _problem(store, obj)
                )
                if problem:
                    break
            if problem:
                report.kept[msg.message_id] = problem
                continue
            report.eligible.append(msg.message_id)
            by_extension[match.group(1)].append(msg.message_id)
    return by_extension


async def delete_archived(
    runtime: Runtime,
    organization_id: str,
    rc: RingCentralSession,
    store: ObjectStore,
    *,
    dry_run: bool,
) -> DeleteReport:
    now = runtime.clock.now()
    report = DeleteReport(dry_run=dry_run)
    by_extension = deletable(runtime, organization_id, store, now, report)
    if dry_run:
        return report
    for extension_id, ids in by_extension.items():
        for i in range(0, len(ids), DELETE_BATCH):
            batch = ids[i : i + DELETE_BATCH]
            try:
                await rc.client.delete_messages(extension_id, batch)
                gone = batch
            except NotFound:  # one of them is gone already: go one by one
                gone = []
                for message_id in batch:
                    with suppress(NotFound):  # deleted meanwhile (by a person): nothing to do
                        await rc.client.delete_messages(extension_id, [message_id])
                    gone.append(message_id)
            _mark_deleted(runtime, organization_id, gone, runtime.clock.now())
            report.deleted.extend(gone)
    return report


def _mark_deleted(runtime: Runtime, organization_id: str, ids: list[str], now: datetime) -> None:
    with runtime.db.tenant(organization_id) as session:
        for msg in session.scalars(select(ArchivedMessage).where(ArchivedMessage.message_id.in_(ids))):
            msg.platform_deleted_at = now
            msg.availability = "Deleted"
