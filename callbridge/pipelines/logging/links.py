"""Recording links in the CRM: signed, expiring callbridge URLs, never the platform's contentUri.

A link names the organization, the communication and the recording, and carries an expiry and a
keyed HMAC over all of them made with the organization's own key (from the vault). The expiry is
the call's start plus ``recording_link_days``: the same call always gets the same link, so a
re-sync never rewrites an unchanged activity just because time passed.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from callbridge.db.session import scope_of

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["LinkCheck", "check_recording_link", "recording_link"]

MEDIA_PREFIX = "/media/recordings"


def _expiry(runtime: Runtime, started_at: datetime | None) -> int:
    start = started_at or runtime.clock.now()
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return int((start + timedelta(days=runtime.settings.recording_link_days)).timestamp())


def _signature(runtime: Runtime, session: Session, communication_id: str, recording_id: str,
               expires: int) -> str:
    message = f"{communication_id}:{recording_id}:{expires}"
    return runtime.pseudonyms.pseudonym(session, "recording-link", message)[:32]


def recording_link(
    runtime: Runtime, session: Session, communication_id: str, recording_id: str, *,
    started_at: datetime | None = None,
) -> str | None:
    """The signed link, or None without an https ``CALLBRIDGE_PUBLIC_URL``: a CRM cannot reach a
    private address, and HubSpot refuses plain-http recording links outright (the whole activity
    would fail)."""
    public = runtime.settings.public_url
    if not public or not public.startswith("https://"):
        return None
    organization_id = scope_of(session).organization_id
    expires = _expiry(runtime, started_at)
    signature = _signature(runtime, session, communication_id, recording_id, expires)
    return (f"{public.rstrip('/')}{MEDIA_PREFIX}/{organization_id}/{communication_id}/{recording_id}"
            f"?exp={expires}&sig={signature}")


@dataclass(frozen=True)
class LinkCheck:
    valid: bool  # the signature is ours for exactly these ids and this expiry
    expired: bool
    expires_at: datetime


def check_recording_link(
    runtime: Runtime, session: Session, communication_id: str, recording_id: str, expires: int, sig: str
) -> LinkCheck:
    """Compare in constant time; an expired link is only reported as such when it was valid."""
    expected = _signature(runtime, session, communication_id, recording_id, expires)
    valid = hmac.compare_digest(expected.encode(), sig.encode())
    expires_at = datetime.fromtimestamp(max(expires, 0), UTC)
    return LinkCheck(valid, valid and runtime.clock.now() >= expires_at, expires_at)
