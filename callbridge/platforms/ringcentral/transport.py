"""An httpx transport that spends the rate budget on every request actually sent (retries too)
and feeds every answer's ``X-Rate-Limit-*`` headers and 429s back into it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from callbridge.ratelimit import RateBudget

__all__ = ["BudgetedTransport"]

GroupOf = Callable[[str, str], str | None]


class BudgetedTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        budget: RateBudget,
        group_of: GroupOf,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.inner = inner
        self.budget = budget
        self.group_of = group_of
        self.sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        group = self.group_of(request.method, request.url.path)
        if group is not None:
            await self.budget.wait(group, self.sleep)
        try:
            response = await self.inner.handle_async_request(request)
        except OSError as exc:  # a reset mid-response: let the HTTP layer treat it as a read error
            raise httpx.ReadError(f"connection failed: {type(exc).__name__}", request=request) from exc
        if group is not None:
            retry_after = _seconds(response.headers.get("retry-after"))
            self.budget.observe(group, response.status_code, response.headers, retry_after)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
