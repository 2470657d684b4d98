"""The Clio sandbox: contacts, communications, matters, users; per-token minute limit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi import Request

from callbridge.sandbox.crm._kit import phones
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm._kit.errors import SandboxError
from callbridge.sandbox.crm._kit.guard import admit, bearer_token, write_scope
from callbridge.sandbox.crm._kit.limiter import SlidingWindow
from callbridge.sandbox.crm._kit.records import RecordTable, Row
from callbridge.sandbox.crm._kit.seed import SEED_PEOPLE, SEED_USERS
from callbridge.sandbox.crm._kit.timefmt import iso_seconds_z
from callbridge.sandbox.crm._kit.tokens import AccessGrant
from callbridge.sandbox.crm.clio.config import ClioSandboxConfig

TABLES = ("contacts", "communications", "matters", "users")


def clio_error(status: int, kind: str, message: str,
               headers: dict[str, str] | None = None) -> SandboxError:
    """Clio's error body (shape unverified): ``{"error": {"type", "message"}}``."""
    return SandboxError(status, {"error": {"type": kind, "message": message}}, headers)


class ClioDialect:
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after

    def server_error(self, status: int) -> SandboxError:
        return clio_error(status, "InternalServerError", "Something went wrong")

    def forced_rate_limit(self) -> SandboxError:
        return clio_error(429, "RateLimited", "Rate limit exceeded.",
                          {"Retry-After": str(self.retry_after)})

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError:
        return clio_error(401, "Unauthorized", f"The access token is {problem}.")

    def forbidden(self, scope: str) -> SandboxError:
        return clio_error(403, "Forbidden", f"The access token lacks permission {scope}.")


class ClioSandbox:
    def __init__(self, config: ClioSandboxConfig, core: SandboxCore) -> None:
        self.config = config
        self.core = core
        self.tables = {name: RecordTable(name) for name in TABLES}
        self.dialect = ClioDialect(config.forced_retry_after_seconds)
        self.window = SlidingWindow(config.rate_limit_per_minute, timedelta(minutes=1))

    def object_types(self) -> list[str]:
        return list(TABLES)

    def dump_objects(self, object_type: str) -> list[dict[str, Any]]:
        return [self.render(object_type, r) for r in self.tables[object_type].live()]

    def person_edit(self, object_type: str, object_id: str, fields: dict[str, Any]) -> Any:
        row = self.tables[object_type].get(object_id)
        if row is None:
            raise KeyError(object_id)
        self.tables[object_type].change(row, fields, self.core.clock.now())
        return self.render(object_type, row)

    def admit(self, request: Request, scope: str | None) -> AccessGrant:
        version = request.headers.get("x-api-version")
        if version is not None and (version in self.config.retired_api_versions or not
                                    re.fullmatch(self.config.api_version_pattern, version)):
            raise clio_error(410, "Gone", f"API version {version} is invalid or retired")
        grant = admit(request, self.core, self.dialect, bearer_token(request),
                      scope or write_scope(request))
        now = self.core.clock.now()
        decision = self.window.hit(grant.token, now)
        headers = {"X-RateLimit-Limit": str(decision.limit),
                   "X-RateLimit-Remaining": str(decision.remaining),
                   "X-RateLimit-Reset": str(int(decision.reset_at.timestamp()))}
        request.state.extra_headers.update(headers)
        if not decision.allowed:
            raise clio_error(429, "RateLimited", "Rate limit exceeded. Retry in "
                             f"{decision.retry_after_seconds} seconds.",
                             {**headers, "Retry-After": str(decision.retry_after_seconds)})
        return grant

    def render(self, table: str, row: Row) -> dict[str, Any]:
        return {"id": row.id, "etag": f'"{row.id}-{row.version}"', **row.data,
                "created_at": iso_seconds_z(row.created_at),
                "updated_at": iso_seconds_z(row.updated_at)}

    def query_contacts(self, query: str) -> list[Row]:
        found = []
        want_digits = phones.digits(query)
        for row in self.tables["contacts"].live():
            numbers = [str(p.get("number", "")) for p in row.data.get("phone_numbers", [])]
            texts = [str(row.data.get("name", "")), str(row.data.get("primary_email_address"))]
            if self.config.query_phone_match == "digits_contains" and len(want_digits) >= 3:
                hit = any(want_digits in phones.digits(n) for n in numbers)
            else:
                hit = any(query.lower() in n.lower() for n in numbers)
            if hit or any(query.lower() in t.lower() for t in texts):
                found.append(row)
        return found


def seed(box: ClioSandbox) -> None:
    """Users, contacts (people; many phone formats) and a matter for Ada."""
    past = box.core.clock.now() - timedelta(days=30)
    for user in SEED_USERS:
        box.tables["users"].add({"name": f"{user.first} {user.last}", "first_name": user.first,
                                 "last_name": user.last, "email": user.email,
                                 "enabled": True}, past)
    for person in SEED_PEOPLE:
        numbers = [{"id": len(person.phone), "name": "Work", "number": person.phone,
                    "default_number": True}]
        if person.mobile:
            numbers.append({"id": len(person.mobile) + 100, "name": "Mobile",
                            "number": person.mobile, "default_number": False})
        row = box.tables["contacts"].add({
            "name": f"{person.first} {person.last}", "first_name": person.first,
            "last_name": person.last, "type": "Person", "primary_email_address": person.email,
            "phone_numbers": numbers}, past)
        if person.first == "Ada":
            box.tables["matters"].add({
                "display_number": "00001-Lovelace", "description": "Engine patent",
                "status": "Open", "client": {"id": row.id, "name": row.data["name"]}}, past)
