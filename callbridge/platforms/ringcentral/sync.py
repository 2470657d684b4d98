"""Reads the catch-up sync and the normaliser need beyond the archive's client calls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from callbridge.platforms.base import Page
from callbridge.platforms.ringcentral.client import API, RingCentralClient
from callbridge.platforms.ringcentral.errors import NotFound

__all__ = ["read_extension", "read_message", "recent_calls", "recent_messages"]


async def read_extension(client: RingCentralClient, extension_id: str) -> dict[str, Any]:
    """One extension (Light) with ``regionalSettings`` (the owner's time zone)."""
    return await client.get_json(
        f"{API}/account/{client.account_id}/extension/{extension_id}", "reading an extension"
    )


async def read_message(
    client: RingCentralClient, extension_id: str, message_id: str
) -> dict[str, Any] | None:
    """One message-store record (Light); None when it no longer exists."""
    path = f"{API}/account/{client.account_id}/extension/{extension_id}/message-store/{message_id}"
    try:
        return await client.get_json(path, "reading a message")
    except NotFound:
        return None


def recent_calls(client: RingCentralClient, date_from: datetime, date_to: datetime) -> AsyncIterator[Page]:
    """Account call log (Detailed, with legs) of calls started in the window."""
    return client.list_call_log(date_from, date_to)


def recent_messages(
    client: RingCentralClient, extension_id: str, date_from: datetime, date_to: datetime
) -> AsyncIterator[Page]:
    """One extension's message store, messages created in the window."""
    return client.list_messages(extension_id, date_from, date_to)
