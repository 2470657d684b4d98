"""ISO 8601 formatting and parsing the way RingCentral writes it (UTC, milliseconds, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["iso", "parse_iso"]


def iso(dt: datetime) -> str:
    """`2024-04-06T11:19:54.000Z`."""
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; a value without a zone is taken as UTC."""
    value = text.strip().replace(" ", "+")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
