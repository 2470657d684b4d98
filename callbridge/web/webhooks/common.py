"""What every webhook route shares: its refusals, and reading a body within the size limit."""

from __future__ import annotations

from fastapi import Request

from callbridge.errors import CallbridgeError

__all__ = ["BodyTooLarge", "UnknownRoute", "read_limited"]


class UnknownRoute(CallbridgeError):
    code = "not_found"
    http_status = 404


class BodyTooLarge(CallbridgeError):
    code = "payload_too_large"
    http_status = 413


async def read_limited(request: Request, limit: int, platform: str) -> bytes:
    """The whole body, or :class:`BodyTooLarge` as soon as the declared or received size passes it."""
    declared = request.headers.get("content-length")
    too_large = BodyTooLarge(
        f"The delivery is larger than {limit} bytes.",
        field="body",
        hint=f"raise CALLBRIDGE_WEBHOOK_MAX_BODY_BYTES if {platform}'s events legitimately exceed it",
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
