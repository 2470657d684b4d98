"""Rate budgets shared by every worker: one row per (platform app, credential, rate group)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped

from callbridge.db.base import Base, col


class RateBudgetRow(Base):
    """Send times in the current window, limits from the server's headers, the 429 count.

    The key names an app and a credential by an opaque name (a connection id), never a platform
    user id in clear.
    """

    __tablename__ = "rate_budgets"

    key: Mapped[str] = col(String(200), primary_key=True, inventory="identifier")
    state: Mapped[dict[str, Any]] = col(JSON, default=dict, inventory="operational")
    updated_at: Mapped[datetime] = col(inventory="operational")
