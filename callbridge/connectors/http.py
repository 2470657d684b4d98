"""The connectors' HTTP layer: one ``classify_response`` and the client every code connector uses.

``classify_response(crm, response, action=…, rules=…)`` turns a CRM answer into callbridge's
typed errors (:mod:`callbridge.connectors.base`), grouped by what the caller should do::

    2xx                      fine (returns None)
    401                      AuthExpired      reconnect
    403                      PermissionDenied tell the admin which scope/permission
    404 / 410               NotFound
    300 / 409 / 412          Conflict
    400 / 422 / other 4xx    InvalidInput     do not retry as is (names the field when known)
    423 / 429                RateLimited      retry after ``retry_after`` (Retry-After honoured)
    5xx                      Unavailable      retry with backoff

A connector adds its own cases as ``rules`` (checked first; e.g. Salesforce's 403
``REQUEST_LIMIT_EXCEEDED`` is a rate limit). Error bodies are never logged or echoed whole:
:func:`error_detail` picks the code, one message (cut to 200 characters), the field and the
missing scope, and only those reach a message.

:class:`CrmClient` sends a request with the auth strategy's credentials, refreshes once on a
401 and then raises AuthExpired, maps transport failures to Unavailable and classifies the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from callbridge.connectors.auth import Auth, Authorization
from callbridge.connectors.base import (
    AuthExpired,
    Conflict,
    ConnectorError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
)
from callbridge.http.client import HttpClient, TransportFailure, parse_retry_after

__all__ = ["MAX_PAGES", "CrmClient", "ErrorDetail", "ErrorRule", "classify_response", "error_detail", "pages"]

MAX_PAGES = 200


def pages(crm: str, action: str, limit: int = MAX_PAGES) -> Iterator[int]:
    """Counts the pages a listing follows: a CRM that never stops paging is an outage, not a loop."""
    yield from range(limit)
    raise Unavailable(
        crm,
        f"{action}: the CRM kept returning further pages after {limit}; callbridge stopped following them.",
        hint="retry later; if it persists, the CRM's paging is broken: report it to the CRM",
    )

MAX_MESSAGE = 200
DEFAULT_RETRY_AFTER = timedelta(seconds=10)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ErrorDetail:
    """The few facts of an error body that may be shown: never the whole body."""

    status: int
    code: str = ""
    message: str = ""
    field: str | None = None
    scope: str | None = None
    retry_after: timedelta | None = None


ErrorRule = Callable[[str, ErrorDetail, str], ConnectorError | None]
"""``rule(crm, detail, action)``: a connector's own mapping; None passes to the defaults."""


def _short(text: object) -> str:
    flat = _SPACE.sub(" ", str(text)).strip()
    return flat if len(flat) <= MAX_MESSAGE else flat[: MAX_MESSAGE - 1] + "…"


def _first_str(body: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _scope_of(body: Mapping[str, Any]) -> str | None:
    contexts = [body.get("context")]
    contexts += [e.get("context") for e in body.get("errors") or [] if isinstance(e, dict)]
    for context in contexts:
        if isinstance(context, dict):
            for key in ("requiredGranularScopes", "requiredScopes", "scopes"):
                found = context.get(key)
                if isinstance(found, list) and found:
                    return str(found[0])
    return None


def _field_of(body: Mapping[str, Any]) -> str | None:
    for item in body.get("errors") or []:
        if isinstance(item, dict):
            context = item.get("context")
            if isinstance(context, dict) and isinstance(context.get("propertyName"), list):
                return str(context["propertyName"][0])
            if isinstance(item.get("field"), str):
                return str(item["field"])
    return None


def error_detail(response: httpx.Response, now_for_retry: Any = None) -> ErrorDetail:
    """Code, message, field and scope of an error answer in any of the common shapes."""
    status = response.status_code
    retry_after = None
    if now_for_retry is not None:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now_for_retry)
    try:
        body = response.json()
    except ValueError:
        return ErrorDetail(status, retry_after=retry_after)
    if isinstance(body, list) and body and isinstance(body[0], dict):  # Salesforce
        item = body[0]
        fields = item.get("fields")
        return ErrorDetail(status, _short(item.get("errorCode", "")), _short(item.get("message", "")),
                           str(fields[0]) if isinstance(fields, list) and fields else None,
                           retry_after=retry_after)
    if not isinstance(body, dict):
        return ErrorDetail(status, retry_after=retry_after)
    code = _first_str(body, ("category", "errorCode", "errorType", "error", "code", "status"))
    message = _first_str(body, ("message", "error_description", "error_info", "error", "title"))
    if isinstance(body.get("error"), dict):  # {"error": {"message": …, "type": …}}
        inner = body["error"]
        code = code or _first_str(inner, ("type", "code"))
        message = message or _first_str(inner, ("message",))
    return ErrorDetail(status, _short(code), _short(message), _field_of(body), _scope_of(body),
                       retry_after)


def _said(detail: ErrorDetail) -> str:
    parts = [p for p in (detail.code, detail.message) if p]
    return f" ({': '.join(parts)})" if parts else ""


def default_error(crm: str, detail: ErrorDetail, action: str, *, permission_hint: str | None = None,
                  default_retry_after: timedelta = DEFAULT_RETRY_AFTER) -> ConnectorError | None:
    """The typed error for a status (None for 2xx)."""
    status = detail.status
    doing = f" to {action}" if action else ""
    if status < 300:
        return None
    if status == 401:
        return AuthExpired(crm, f"no longer accepts callbridge's credentials{doing}{_said(detail)}.",
                           hint=f"reconnect {crm} in callbridge (callbridge connect)")
    if status == 403:
        lacks = f"the {detail.scope} scope" if detail.scope else "the permission for this"
        return PermissionDenied(
            crm, f"refused{doing}: the connected user lacks {lacks}{_said(detail)}.",
            hint=permission_hint or f"reconnect with {'it' if detail.scope else 'a user who has it'}, "
            f"or ask the {crm} admin to grant it", scope=detail.scope)
    if status in (404, 410):
        return NotFound(crm, f"has no such record{doing}{_said(detail)}; it may have been deleted.",
                        hint="nothing to retry; relink the communication if the record moved")
    if status in (300, 409, 412):
        return Conflict(crm, f"reported a conflict{doing}{_said(detail)}.",
                        hint="callbridge reads the record again before writing")
    if status in (423, 429):
        wait = detail.retry_after or default_retry_after
        return RateLimited(crm, f"asked callbridge to slow down{doing}{_said(detail)}; "
                           f"retrying in {int(wait.total_seconds())} s.", retry_after=wait,
                           hint="nothing to do unless it persists; then lower the logging volume "
                           "or raise the CRM's API limit")
    if status >= 500:
        return Unavailable(crm, f"failed{doing} with HTTP {status}{_said(detail)}.",
                           hint="callbridge retries with backoff; check the CRM's status page if it persists")
    field = f" in field {detail.field}" if detail.field else ""
    return InvalidInput(crm, f"rejected a value{field}{doing}{_said(detail)}.",
                        hint="correct the value or the field mapping; this will not succeed as is",
                        field=detail.field)


def classify_response(crm: str, response: httpx.Response, *, action: str = "",
                      rules: Sequence[ErrorRule] = (), now: Any = None,
                      permission_hint: str | None = None,
                      default_retry_after: timedelta = DEFAULT_RETRY_AFTER) -> None:
    """Raise the typed error for a non-2xx ``response``; return None for a success."""
    if response.status_code < 300:
        return
    detail = error_detail(response, now)
    for rule in rules:
        found = rule(crm, detail, action)
        if found is not None:
            raise found
    error = default_error(crm, detail, action, permission_hint=permission_hint,
                          default_retry_after=default_retry_after)
    if error is not None:
        raise error


class CrmClient:
    """Authenticated, classified requests to one CRM (one per connector instance)."""

    def __init__(self, crm: str, http: HttpClient, auth: Auth, *, rules: Sequence[ErrorRule] = (),
                 observe: Callable[[httpx.Response], None] | None = None,
                 default_retry_after: timedelta = DEFAULT_RETRY_AFTER) -> None:
        self.crm = crm
        self.http = http
        self.auth = auth
        self.rules = tuple(rules)
        self._observe = observe
        self._default_retry_after = default_retry_after
        self.sent = 0  # requests handed to the transport layer (retries inside it not counted)

    async def _send(self, method: str, url: str, action: str, headers: Mapping[str, str],
                    params: Mapping[str, Any], kwargs: Mapping[str, Any]
                    ) -> tuple[httpx.Response, Authorization]:
        granted = await self.auth.authorize()
        self.sent += 1
        try:
            response = await self.http.request(
                method, url, headers={**headers, **granted.headers},
                params={**params, **granted.params} or None, **kwargs)
        except TransportFailure as exc:
            raise Unavailable(self.crm, f"could not be reached to {action or 'answer'}.",
                              hint="callbridge retries later; check the network and the CRM's "
                              "status page") from exc
        return response, granted

    async def request(self, method: str, url: str, *, action: str = "",
                      permission_hint: str | None = None, headers: Mapping[str, str] | None = None,
                      params: Mapping[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Send, refresh once on a 401, then classify; returns a 2xx response."""
        base_headers, base_params = dict(headers or {}), dict(params or {})
        response, granted = await self._send(method, url, action, base_headers, base_params, kwargs)
        if response.status_code == 401 and await self.auth.refresh(granted):
            response, granted = await self._send(method, url, action, base_headers, base_params, kwargs)
        if self._observe is not None:
            self._observe(response)
        classify_response(self.crm, response, action=action, rules=self.rules, now=self.http.clock.now(),
                          permission_hint=permission_hint,
                          default_retry_after=self._default_retry_after)
        return response

    async def json(self, method: str, url: str, *, action: str = "",
                   permission_hint: str | None = None, **kwargs: Any) -> Any:
        response = await self.request(method, url, action=action, permission_hint=permission_hint,
                                      **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def aclose(self) -> None:
        await self.http.aclose()
