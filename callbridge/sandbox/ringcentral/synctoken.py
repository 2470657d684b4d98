"""Opaque sync tokens: what a client must present for the next incremental sync."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import RCError, api_error

__all__ = ["decode_token", "encode_token"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


def encode_token(kind: str, scope: str, epoch: int, when: datetime, **extra: Any) -> str:
    payload = {"k": kind, "s": scope, "e": epoch, "t": (when - _EPOCH) // _US, **extra}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, kind: str, scope: str, invalid: RCError) -> tuple[int, datetime,
                                                                               dict[str, Any]]:
    """(epoch, time, payload) of a token issued for (kind, scope), else raise `invalid`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        if payload["k"] != kind or payload["s"] != scope:
            raise invalid
        when = _EPOCH + int(payload["t"]) * _US
        return int(payload["e"]), when, payload
    except (ValueError, KeyError, TypeError):
        raise invalid from None


def sync_token_error(detail: str, code: str = "CLG-101") -> RCError:
    """400 "Parameter [syncToken] is invalid [...]" (error codes CLG-101…105: which one is
    used for which case is (unverified))."""
    return api_error(400, code, f"Parameter [syncToken] is invalid [{detail}]",
                     parameter_name="syncToken")
