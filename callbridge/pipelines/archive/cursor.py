"""Per-account, per-dataset cursors: moved only after what precedes them is committed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import ArchiveCursor

__all__ = ["adopt_cursors", "advance_cursor", "read_cursor"]


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


def adopt_cursors(session: Session, account: str, connections: list[str], now: datetime) -> None:
    """Cursors are kept per RingCentral account; older versions kept them per connection. Fold a
    connection's cursors into its account's: every connection listed the same account's data, so
    everything before the furthest of them is archived."""
    for dataset in ("calls", "messages"):
        rows = list(
            session.scalars(
                select(ArchiveCursor).where(
                    ArchiveCursor.account.in_([account, *connections]), ArchiveCursor.dataset == dataset
                )
            )
        )
        legacy = [r for r in rows if r.account != account]
        if not legacy:
            continue
        keep = next((r for r in rows if r.account == account), None)
        furthest = max(r.position for r in rows)
        if keep is None:
            keep = legacy.pop(0)
            keep.account = account
        for row in legacy:
            session.delete(row)
        session.flush()
        if keep.position != furthest:
            keep.position = furthest
            keep.updated_at = now
