"""What the archive holds: cursors, counts, pending and failed objects, bytes, retention warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from callbridge.db.models import ArchiveCursor, ArchivedCall, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.retention import retention_watch

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["archive_status"]


def archive_status(runtime: Runtime, organization_id: str) -> dict[str, Any]:
    with runtime.db.tenant(organization_id) as session:
        cursors = {
            f"{c.account}/{c.dataset}": c.position.isoformat() for c in session.scalars(select(ArchiveCursor))
        }
        objects: dict[str, dict[str, Any]] = {}
        for kind, status, count, size in session.execute(
            select(
                ArchivedObject.kind, ArchivedObject.status, func.count(), func.sum(ArchivedObject.size)
            ).group_by(ArchivedObject.kind, ArchivedObject.status)
        ):
            objects.setdefault(kind, {})[status] = {"count": count, "bytes": int(size or 0)}
        oldest_pending = session.scalar(
            select(func.min(ArchivedObject.day)).where(ArchivedObject.status != "stored")
        )
        deleted = session.scalar(
            select(func.count())
            .select_from(ArchivedMessage)
            .where(ArchivedMessage.platform_deleted_at.is_not(None))
        )
        data: dict[str, Any] = {
            "cursors": cursors,
            "calls": session.scalar(select(func.count()).select_from(ArchivedCall)),
            "messages": session.scalar(select(func.count()).select_from(ArchivedMessage)),
            "messages_deleted_from_platform": deleted,
            "objects": objects,
            "oldest_unarchived_day": oldest_pending,
        }
    data["retention_warnings"] = [w.as_dict() for w in retention_watch(runtime, organization_id)]
    return data
