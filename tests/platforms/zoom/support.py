"""Zoom test helpers: payloads, and signatures computed here from the reference formula
(``"v0=" + hex(HMAC-SHA256(secret, "v0:{timestamp}:{body}"))``), not with the product's code."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "zoom-test-secret-token-Q1w2E3r4"
OTHER_SECRET = "zoom-test-secret-token-OTHER-app"


def compact(data: dict[str, Any]) -> bytes:
    """Zoom sends compact JSON (what its samples' ``JSON.stringify(body)`` produces)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def body_of(name: str) -> bytes:
    return compact(fixture(name))


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    message = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed(
    body: bytes, at: datetime, *, secret: str = SECRET, request_id: str | None = "req-1"
) -> dict[str, str]:
    """The headers Zoom sends with ``body`` signed at ``at``."""
    stamp = str(int(at.timestamp()))
    headers = {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": signature(secret, stamp, body),
    }
    if request_id is not None:
        headers["x-zm-request-id"] = request_id
    return headers
