"""The shared virtual clock (``CALLBRIDGE_CLOCK=virtual``): one row every process reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, col


class VirtualClockState(Base):
    """The shared virtual time (tests and benchmarks)."""

    __tablename__ = "virtual_clock"

    id: Mapped[int] = col(Integer, primary_key=True, inventory="identifier")
    now: Mapped[datetime] = col(inventory="operational")
