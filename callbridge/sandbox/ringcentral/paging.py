"""Query parsing shared by list endpoints, and the `paging` / `navigation` objects."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from .errors import bad_parameter
from .timeutil import parse_iso

__all__ = ["Page", "multi", "page_of", "parse_date", "parse_int", "per_page"]

T = TypeVar("T")


def multi(request: Request, name: str) -> list[str]:
    """Array parameters come as repeated keys (`type=Voice&type=Fax`); `name[]` also accepted."""
    values = request.query_params.getlist(name) + request.query_params.getlist(f"{name}[]")
    out: list[str] = []
    for v in values:
        out.extend(x for x in v.split(",") if x)
    return out


def parse_date(request: Request, name: str, default: datetime | None) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_iso(raw)
    except ValueError:
        raise bad_parameter(name) from None


def parse_int(request: Request, name: str, default: int | None, *, low: int | None = None,
              high: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter(name) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise bad_parameter(name)
    return value


def per_page(request: Request, *, default: int = 100, cap: int = 1000) -> int:
    """`perPage` 1–1000 or `max`; larger values are clamped (reference §1)."""
    raw = request.query_params.get("perPage")
    if raw is None:
        raw = request.query_params.get("max") and "max"
    if raw is None or raw == "":
        return default
    if raw == "max":
        return cap
    try:
        value = int(raw)
    except ValueError:
        raise bad_parameter("perPage") from None
    if value < 1:
        raise bad_parameter("perPage")
    return min(value, cap)


class Page:
    def __init__(self, items: list[Any], page: int, per_page: int) -> None:
        self.total = len(items)
        self.page = page
        self.per_page = per_page
        start = (page - 1) * per_page
        self.items = items[start:start + per_page]
        self.start = start

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def paging(self) -> dict[str, Any]:
        out: dict[str, Any] = {"page": self.page, "totalPages": self.total_pages,
                               "perPage": self.per_page, "totalElements": self.total}
        if self.items:
            out["pageStart"] = self.start
            out["pageEnd"] = self.start + len(self.items) - 1
        return out

    def navigation(self, base_uri: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        kept = [(k, v) for k, v in params if k not in ("page", "perPage", "max")]

        def link(page: int) -> dict[str, str]:
            query = urlencode([*kept, ("page", str(page)), ("perPage", str(self.per_page))])
            return {"uri": f"{base_uri}?{query}"}

        nav = {"firstPage": link(1)}
        if self.page < self.total_pages:
            nav["nextPage"] = link(self.page + 1)
        if self.page > 1:
            nav["previousPage"] = link(min(self.page - 1, self.total_pages))
        nav["lastPage"] = link(self.total_pages)
        return nav

    def uri(self, base_uri: str, params: list[tuple[str, str]]) -> str:
        kept = [(k, v) for k, v in params if k not in ("page", "perPage", "max")]
        query = urlencode([*kept, ("page", str(self.page)), ("perPage", str(self.per_page))])
        return f"{base_uri}?{query}"


def page_of(request: Request, items: list[T], *, default_per_page: int = 100) -> Page:
    size = per_page(request, default=default_per_page)
    page = parse_int(request, "page", 1, low=1)
    assert page is not None
    return Page(items, page, size)


def default_window(request: Request, now: datetime) -> tuple[datetime, datetime]:
    """`dateTo` defaults to now, `dateFrom` to dateTo − 24 h (reference §1, §3)."""
    date_to = parse_date(request, "dateTo", now)
    assert date_to is not None
    date_from = parse_date(request, "dateFrom", date_to - timedelta(hours=24))
    assert date_from is not None
    return date_from, date_to
