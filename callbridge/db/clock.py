"""A virtual clock kept in the database, shared by every process (``CALLBRIDGE_CLOCK=virtual``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from callbridge.db.models import VirtualClockState
from callbridge.db.session import Database

__all__ = ["DatabaseClock"]

DEFAULT_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class DatabaseClock:
    """Reads the time from the ``virtual_clock`` row; moved by ``callbridge clock advance``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def now(self) -> datetime:
        # A read-only connection of its own: the clock is read inside other transactions, and on
        # SQLite a second writer there would wait for the first one forever.
        with self.db.engine.connect().execution_options(readonly=True) as conn:
            now = conn.execute(select(VirtualClockState.now).where(VirtualClockState.id == 1)).scalar()
            return now or DEFAULT_START

    def advance(self, delta: timedelta | float) -> datetime:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError(f"a clock only moves forward; got a step of {step}")
        with self.db.anonymous() as session:
            row = session.scalars(select(VirtualClockState).where(VirtualClockState.id == 1)).one_or_none()
            if row is None:
                row = VirtualClockState(id=1, now=DEFAULT_START)
                session.add(row)
            row.now = row.now + step
            return row.now

    def set(self, when: datetime) -> datetime:
        current = self.now()
        return self.advance(when - current)
