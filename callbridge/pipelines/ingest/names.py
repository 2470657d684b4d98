"""Names the webhook receiver, the jobs and the CLI share (kinds, keys, vault purposes)."""

from __future__ import annotations

__all__ = [
    "DIRECTORY_PURPOSE",
    "NORMALISE",
    "RENEW",
    "SWEEP",
    "SYNC",
    "VERIFICATION_PURPOSE",
    "normalise_key",
]

NORMALISE = "ingest.normalise"  # payload {"inbox_id"}
SYNC = "ingest.sync"  # payload {"connection"}: catch-up from the call log and message store
RENEW = "ingest.subscription"  # payload {"connection"}: create / renew / recreate the webhook
SWEEP = "ingest.sweep"  # system schedule: offers SYNC and RENEW per organization, re-enqueues the inbox

VERIFICATION_PURPOSE = "ringcentral-webhook"  # vault: name = route key, value = verification token
DIRECTORY_PURPOSE = "ringcentral-directory"  # vault: name = "tz:<pseudonym>", value = IANA zone


def normalise_key(inbox_id: str) -> str:
    return f"{NORMALISE}:{inbox_id}"
