"""httpx transports that spend the rate budget on every request actually sent (retries too) and
feed every answer's ``X-Rate-Limit-*`` headers and 429s back into it.

:class:`BudgetedTransport` has one budget: the OAuth requests of one credential go through it.
:class:`PooledTransport` carries the REST calls of one or several credentials (RingCentral counts
limits per authorised user and app, reference §4): for each request it takes a slot of the
credential whose budget frees first, *then* gets that credential's access token (refreshing it if
the wait outlived it) and attaches it — a token fetched before a long wait would arrive expired.
A 401 invalidates that token and the request goes once more with a fresh one. A credential whose
authorisation is gone leaves the pool; the others carry on, and :class:`AuthExpired` is raised
only when none is left.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from callbridge.platforms.ringcentral.auth import RingCentralAuth
from callbridge.platforms.ringcentral.errors import AuthExpired
from callbridge.ratelimit import RateBudget

__all__ = ["BEARER", "PIN", "BudgetedTransport", "Credential", "PooledTransport"]

log = logging.getLogger(__name__)

GroupOf = Callable[[str, str], str | None]
Sleep = Callable[[float], Awaitable[None]]

# request extensions set by the client: attach a bearer token; send through this credential only
BEARER = "callbridge.bearer"
PIN = "callbridge.credential"
# a slot counted this long before the request could leave is moved to the real send time
RESTAMP_AFTER_SECONDS = 0.25


@dataclass
class Credential:
    """One authorised user of the pool: a connection's budget and its OAuth session."""

    name: str
    budget: RateBudget
    auth: RingCentralAuth
    out: str | None = None  # why it left the pool (its authorisation is gone)


class BudgetedTransport(httpx.AsyncBaseTransport):
    """One budget, no token handling (the OAuth endpoints authenticate with the app's secret)."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        budget: RateBudget,
        group_of: GroupOf,
        sleep: Sleep,
        *,
        close_inner: bool = True,
    ) -> None:
        self.inner = inner
        self.budget = budget
        self.group_of = group_of
        self.sleep = sleep
        self.close_inner = close_inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        group = self.group_of(request.method, request.url.path)
        if group is not None:
            await self.budget.wait(group, self.sleep)
        response = await _send(self.inner, request)
        if group is not None:
            _observe(self.budget, group, response)
        return response

    async def aclose(self) -> None:
        if self.close_inner:
            await self.inner.aclose()


class PooledTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        credentials: Sequence[Credential],
        group_of: GroupOf,
        sleep: Sleep,
    ) -> None:
        if not credentials:
            raise ValueError("a pool needs at least one credential")
        self.inner = inner
        self.credentials = list(credentials)
        self.group_of = group_of
        self.sleep = sleep

    def live(self) -> list[Credential]:
        return [c for c in self.credentials if c.out is None]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        group = self.group_of(request.method, request.url.path)
        bearer = bool(request.extensions.get(BEARER))
        pin = request.extensions.get(PIN)  # the caller wants this credential and no other
        refused: set[str] = set()
        again: str | None = None  # after a 401: the same credential, with a refreshed token
        while True:
            credential, token = await self._prepare(request, group, bearer, pin, again)
            again = None
            response = await _send(self.inner, request)
            if group is not None:
                _observe(credential.budget, group, response)
            if response.status_code == 401 and token is not None:
                if credential.name not in refused:  # expired or rotated: once more with a fresh token
                    refused.add(credential.name)
                    await response.aclose()
                    credential.auth.invalidate(token)
                    again = credential.name
                    continue
                if pin is None and len(self.live()) > 1:  # refused even fresh: revoked
                    await response.aclose()
                    self._drop(credential, "RingCentral refused even a freshly refreshed token (401)")
                    continue
            return response

    async def _prepare(
        self, request: httpx.Request, group: str | None, bearer: bool, pin: object, again: str | None
    ) -> tuple[Credential, str | None]:
        """Take a budget slot, then the token of the same credential; attach it."""
        while True:
            credential, counted_at = await self._slot(group, pin if pin is not None else again)
            if not bearer:
                return credential, None
            try:
                token = await credential.auth.access_token()
            except AuthExpired as exc:
                if pin is not None or len(self.live()) <= 1:
                    raise
                self._drop(credential, exc.message)
                again = None
                continue
            if group is not None and counted_at is not None:
                late = credential.budget.clock.now().timestamp() - counted_at
                if late > RESTAMP_AFTER_SECONDS:
                    credential.budget.restamp(group, counted_at)
            request.headers["Authorization"] = f"Bearer {token}"
            return credential, token

    def _drop(self, credential: Credential, why: str) -> None:
        credential.out = why
        log.warning("RingCentral credential %r left the pool: %s; the others carry on", credential.name, why)

    async def _slot(self, group: str | None, pin: object) -> tuple[Credential, float | None]:
        """The credential whose budget for ``group`` frees first (ties: the most free slots)."""
        candidates = [c for c in self.live() if pin is None or c.name == pin]
        if not candidates:
            gone = next((c for c in self.credentials if c.name == pin), None)
            if gone is not None and gone.out:
                raise AuthExpired(f"RingCentral connection {pin!r}: {gone.out}", field="connection")
            raise ValueError(f"no RingCentral credential {pin!r} in this pool")
        if group is None:
            return candidates[0], None
        if len(candidates) == 1:
            return candidates[0], (await candidates[0].budget.slot(group, self.sleep))[1]
        while True:
            rooms = [(c.budget.headroom(group), i, c) for i, c in enumerate(candidates)]
            (wait, _free), _, best = min(rooms, key=lambda r: (r[0][0], -r[0][1], r[1]))
            if wait > 0:
                await self.sleep(wait)
                continue
            delay, counted_at = best.budget.acquire_at(group)
            if delay.total_seconds() <= 0:
                return best, counted_at
            # another worker took the slot between our look and our take: look again

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _send(inner: httpx.AsyncBaseTransport, request: httpx.Request) -> httpx.Response:
    try:
        return await inner.handle_async_request(request)
    except OSError as exc:  # a reset mid-response: let the HTTP layer treat it as a read error
        raise httpx.ReadError(f"connection failed: {type(exc).__name__}", request=request) from exc


def _observe(budget: RateBudget, group: str, response: httpx.Response) -> None:
    retry_after = _seconds(response.headers.get("retry-after"))
    budget.observe(group, response.status_code, response.headers, retry_after)


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
