"""The one outbound HTTP layer: timeouts, retries with backoff, Retry-After, redacted logs.

Retries: connection failures that happened before the request was sent are retried for every
method; 429 and 503 (the server refused to process) are retried for every method, after the
server's Retry-After; other 5xx and read failures are retried for idempotent methods only, so a
POST that may have reached the server is never sent twice behind the caller's back.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from callbridge.clock import Clock, SystemClock
from callbridge.domain.retry import Backoff
from callbridge.http.redaction import redact
from callbridge.http.ssrf import DestinationGuard

__all__ = ["HttpClient", "TransportFailure", "parse_retry_after"]

log = logging.getLogger("callbridge.http")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REFUSED = frozenset({429, 503})
RETRYABLE_5XX = frozenset({500, 502, 504})
MAX_RETRY_AFTER = timedelta(hours=1)

Sleep = Callable[[float], Awaitable[None]]


class TransportFailure(Exception):
    """The service could not be reached after every retry (DNS, refused, reset, timeout)."""

    def __init__(self, service: str, method: str, url: str, cause: BaseException) -> None:
        self.service = service
        super().__init__(
            f"{service} could not be reached ({type(cause).__name__}) for {method} {redact(url)}; "
            "callbridge will retry later. Check the network and the service's status page."
        )


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; capped at an hour; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(timedelta(seconds=max(0.0, seconds)), MAX_RETRY_AFTER)


class HttpClient:
    """An ``httpx.AsyncClient`` with callbridge's retry policy; the transport is the test seam."""

    def __init__(
        self,
        service: str,
        *,
        base_url: str = "",
        timeout: float = 10.0,
        max_retries: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        backoff: Backoff | None = None,
        headers: dict[str, str] | None = None,
        rng: random.Random | None = None,
        guard: DestinationGuard | None = None,
    ) -> None:
        self.service = service
        self.max_retries = max_retries
        self.clock = clock or SystemClock()
        self._sleep = sleep
        self._backoff = backoff or Backoff(base_seconds=0.5, cap_seconds=30.0)
        self._rng = rng or random.Random()
        # Destinations that a tenant admin (not the operator) configures — declarative connectors,
        # storage URLs — pass a guard; built-in services' URLs are the operator's.
        self._guard = guard
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers=headers,
        )
        self.retries = 0

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self, method: str, url: str, *, retry_unsafe: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """Send with retries; returns the last response (callers classify its status)."""
        method = method.upper()
        may_resend = retry_unsafe or method in IDEMPOTENT
        if self._guard is not None:
            await self._guard.check(str(self._client.build_request(method, url).url))
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self._client.request(method, url, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                self._log_failure(method, url, exc, attempt)
                if attempt > self.max_retries:
                    raise TransportFailure(self.service, method, url, exc) from exc
                await self._wait(attempt, None)
                continue
            except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                self._log_failure(method, url, exc, attempt)
                if not may_resend or attempt > self.max_retries:
                    raise TransportFailure(self.service, method, url, exc) from exc
                await self._wait(attempt, None)
                continue
            self._log_response(response)
            status = response.status_code
            retry = status in REFUSED or (status in RETRYABLE_5XX and may_resend)
            if not retry or attempt > self.max_retries:
                return response
            await response.aclose()
            await self._wait(
                attempt, parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
            )

    @asynccontextmanager
    async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        """Send once and hand over the response unread, for a body read chunk by chunk.

        A streamed body cannot be replayed, so retrying is the caller's (it restarts the whole
        download); everything else is this client's: guard, transport and redacted logs.
        """
        request = self._client.build_request(method.upper(), url, **kwargs)
        if self._guard is not None:
            await self._guard.check(str(request.url))
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            self._log_failure(request.method, str(request.url), exc, 1)
            raise TransportFailure(self.service, request.method, str(request.url), exc) from exc
        try:
            self._log_response(response)
            yield response
        finally:
            await response.aclose()

    async def _wait(self, attempt: int, retry_after: timedelta | None) -> None:
        self.retries += 1
        delay = self._backoff.at_least(attempt, retry_after or timedelta(0), self._rng)
        await self._sleep(delay.total_seconds())

    def _log_response(self, response: httpx.Response) -> None:
        request = response.request
        log.info(
            "%s %s %s -> %d", self.service, request.method, redact(str(request.url)), response.status_code
        )

    def _log_failure(self, method: str, url: str, exc: BaseException, attempt: int) -> None:
        log.warning(
            "%s %s %s failed (%s), attempt %d", self.service, method, redact(url), type(exc).__name__, attempt
        )

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)
