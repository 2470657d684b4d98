"""Multi-ID GET answers: 207 `multipart/mixed`, or the JSON flavour for message-store."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Response

__all__ = ["BulkPart", "multipart_json_response", "multipart_mixed_response"]

BulkPart = tuple[str, str, int, dict[str, Any]]  # (resource id, href, status, body)

_REASONS = {200: "OK", 404: "Not Found", 400: "Bad Request"}


def multipart_mixed_response(parts: list[BulkPart], boundary: str) -> Response:
    """First part `{"response":[{href, status, responseDescription}]}`, then one per resource."""
    status_part = {"response": [{"href": href, "status": status,
                                 "responseDescription": _REASONS.get(status, "Error")}
                                for _, href, status, _ in parts]}
    chunks = [status_part] + [body for _, _, _, body in parts]
    lines: list[str] = []
    for chunk in chunks:
        lines.append(f"--{boundary}")
        lines.append("Content-Type: application/json")
        lines.append("")
        lines.append(json.dumps(chunk))
    lines.append(f"--{boundary}--")
    body = ("\r\n".join(lines) + "\r\n").encode()
    return Response(body, status_code=207,
                    media_type=f"multipart/mixed; boundary={boundary}")


def multipart_json_response(parts: list[BulkPart]) -> Response:
    """`Accept: application/vnd.ringcentral.multipart+json`: `[{resourceId, status, body}]`."""
    payload = [{"resourceId": rid, "status": status, "body": body}
               for rid, _, status, body in parts]
    return Response(json.dumps(payload).encode(), status_code=207,
                    media_type="application/vnd.ringcentral.multipart+json")


def parse_multipart_mixed(body: bytes, content_type: str) -> list[Any]:
    """Split a multipart/mixed body into its JSON parts (used by tests and clients alike)."""
    boundary = content_type.split("boundary=", 1)[1].strip().strip('"')
    out: list[Any] = []
    for raw in body.decode().split(f"--{boundary}"):
        part = raw.strip()
        if not part or part == "--":
            continue
        _, _, payload = part.partition("\r\n\r\n")
        out.append(json.loads(payload))
    return out
