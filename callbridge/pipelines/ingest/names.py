"""Names the webhook receiver, the jobs and the CLI share (kinds, keys, vault purposes)."""

from __future__ import annotations

__all__ = [
    "DIRECTORY",
    "NORMALISE",
    "RENEW",
    "SWEEP",
    "SYNC",
    "USERS",
    "VERIFICATION_PURPOSE",
    "normalise_key",
]

NORMALISE = "ingest.normalise"  # payload {"inbox_id"}
SYNC = "ingest.sync"  # payload {"connection"}: catch-up from the call log and message store
RENEW = "ingest.subscription"  # payload {"connection"}: create / renew / recreate the webhook
SWEEP = "ingest.sweep"  # system schedule: offers SYNC and RENEW per organization, re-enqueues the inbox
DIRECTORY = "ingest.directory"  # payload {"connection"}: refresh the extension directory (daily, on connect)
USERS = "logging.users"  # submitted after a directory refresh when logging is installed: map CRM users

VERIFICATION_PURPOSE = "ringcentral-webhook"  # vault: name = route key, value = verification token


def normalise_key(inbox_id: str) -> str:
    return f"{NORMALISE}:{inbox_id}"
