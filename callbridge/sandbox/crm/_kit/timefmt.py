"""Timestamp formats the CRMs use, and a strictly increasing "modified at"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def iso_z(dt: datetime) -> str:
    """``2024-01-17T19:55:04.281Z`` (HubSpot, Pipedrive v2)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_seconds_z(dt: datetime) -> str:
    """``2024-01-17T19:55:04Z`` (Pipedrive v2, Clio use whole seconds)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sf_datetime(dt: datetime) -> str:
    """``2024-01-17T19:55:04.000+0000`` (Salesforce)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 instant (``Z`` or offset); naive values are UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def later_than(previous: datetime | None, now: datetime) -> datetime:
    """``now``, or 1 ms after ``previous`` when the clock has not moved past it."""
    if previous is not None and now <= previous:
        return previous + timedelta(milliseconds=1)
    return now
