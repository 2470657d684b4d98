"""Reading request bodies without FastAPI's own 422 shape (each CRM words its 400s)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request


class BadBody(ValueError):
    """The body is not the JSON the endpoint needs."""


async def json_body(request: Request, *, want: type = dict) -> Any:
    """Parse the JSON body; raise :class:`BadBody` when it is missing, broken or mistyped."""
    raw = await request.body()
    if not raw.strip():
        raise BadBody("the request body is empty; send JSON")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise BadBody(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(value, want):
        raise BadBody(f"the request body must be a JSON {want.__name__}")
    return value
