"""Per-account, per-dataset cursors: moved only after what precedes them is committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import ArchiveCursor

__all__ = ["advance_cursor", "read_cursor"]


def read_cursor(session: Session, account: str, dataset: str) -> datetime | None:
    row = session.scalars(
        select(ArchiveCursor).where(ArchiveCursor.account == account, ArchiveCursor.dataset == dataset)
    ).one_or_none()
    return row.position if row else None


def advance_cursor(
    session: Session, account: str, dataset: str, window_start: datetime, window_end: datetime, now: datetime
) -> bool:
    """Move the cursor to ``window_end`` if the window joins what is already covered (or it is the
    first window); a window past a gap leaves the cursor where it is."""
    row = session.scalars(
        select(ArchiveCursor).where(ArchiveCursor.account == account, ArchiveCursor.dataset == dataset)
    ).one_or_none()
    if row is None:
        session.add(ArchiveCursor(account=account, dataset=dataset, position=window_end, updated_at=now))
        return True
    if window_start <= row.position < window_end:
        row.position = window_end
        row.updated_at = now
        return True
    return False
