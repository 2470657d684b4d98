"""ASGI middleware: logs every request, injects faults, adds the rate-limit headers."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .faults import SandboxConnectionReset, server_error_body
from .timeutil import iso

if TYPE_CHECKING:
    from .state import SandboxState

__all__ = ["SandboxMiddleware"]


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, state: SandboxState) -> None:
        self.app = app
        self.sandbox = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sandbox = self.sandbox
        path: str = scope["path"]
        req_state: dict[str, Any] = scope.setdefault("state", {})
        entry: dict[str, Any] = {
            "seq": 0,
            "time": iso(sandbox.now()),
            "method": scope["method"],
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            # the Range asked for (media content answers 206 to it), so tests can see resumes
            "range": next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"range"), None),
            "status": None,
            "group": None,
            "fault": None,
        }
        if path.startswith("/restapi"):
            decision = sandbox.faults.decide(path)
            if decision.latency:
                await asyncio.sleep(decision.latency)
            if decision.action == "error":
                entry["fault"] = "error"
                body = json.dumps(server_error_body()).encode()
                await send({"type": "http.response.start", "status": decision.status,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                entry["status"] = decision.status
                self._log(entry)
                return
            if decision.action == "reset":
                entry["fault"] = "reset"
                entry["status"] = 0
                self._log(entry)
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", b"4096")]})
                await send({"type": "http.response.body", "body": b'{"uri":', "more_body": True})
                raise SandboxConnectionReset("sandbox fault: connection reset mid-response")

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                extra: dict[str, str] = req_state.get("rate_headers") or {}
                if extra:
                    present = {k.lower() for k, _ in message.get("headers", [])}
                    headers = list(message.get("headers", []))
                    for key, value in extra.items():
                        if key.lower().encode() not in present:
                            headers.append((key.lower().encode(), value.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, wrapped_send)
        finally:
            entry["group"] = req_state.get("rate_group")
            entry["extension_id"] = req_state.get("extension_id")
            self._log(entry)

    def _log(self, entry: dict[str, Any]) -> None:
        sandbox = self.sandbox
        with sandbox.lock:
            sandbox.request_count += 1
            entry["seq"] = sandbox.request_count
            sandbox.request_log.append(entry)
