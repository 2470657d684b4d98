"""The generic CRM: contacts, activities (unique external_id), users; simple JSON errors."""

from __future__ import annotations

import base64
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
from callbridge.sandbox.crm.generic.config import GenericSandboxConfig

TABLES = ("contacts", "activities", "users")


def generic_error(status: int, code: str, message: str,
                  headers: dict[str, str] | None = None, **extra: Any) -> SandboxError:
    return SandboxError(status, {"error": code, "message": message, **extra}, headers)


class GenericDialect:
    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after

    def server_error(self, status: int) -> SandboxError:
        return generic_error(status, "server_error", "The CRM failed; try again later.")

    def forced_rate_limit(self) -> SandboxError:
        return generic_error(429, "rate_limited", "Too many requests.",
                             {"Retry-After": str(self.retry_after)},
                             retry_after=self.retry_after)

    def unauthorized(self, problem: str, grant: AccessGrant | None) -> SandboxError:
        return generic_error(401, "unauthorized", f"The credential is {problem}.")

    def forbidden(self, scope: str) -> SandboxError:
        return generic_error(403, "forbidden", f"The credential lacks the {scope} permission.")


def presented_credential(request: Request) -> str | None:
    """API key from X-API-Key, Basic (``key``, ``key:`` or ``user:key``) or a Bearer token."""
    if key := request.headers.get("x-api-key"):
        return key
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
        except ValueError:
            return None
        user, sep, password = decoded.partition(":")
        return (password or user) if sep else decoded
    return bearer_token(request)


class GenericSandbox:
    def __init__(self, config: GenericSandboxConfig, core: SandboxCore) -> None:
        self.config = config
        self.core = core
        self.tables = {name: RecordTable(name) for name in TABLES}
        self.dialect = GenericDialect(config.forced_retry_after_seconds)
        self.window = SlidingWindow(config.rate_limit_per_minute, timedelta(minutes=1))

    def object_types(self) -> list[str]:
        return list(TABLES)

    def dump_objects(self, object_type: str) -> list[dict[str, Any]]:
        return [self.render(r) for r in self.tables[object_type].live()]

    def person_edit(self, object_type: str, object_id: str, fields: dict[str, Any]) -> Any:
        row = self.tables[object_type].get(object_id)
        if row is None:
            raise KeyError(object_id)
        self.tables[object_type].change(row, fields, self.core.clock.now())
        return self.render(row)

    def admit(self, request: Request, scope: str | None) -> AccessGrant:
        if self.config.secret_key is not None and (
                request.headers.get("x-secret-key") != self.config.secret_key):
            raise generic_error(401, "unauthorized", "X-Secret-Key is missing or wrong.")
        grant = admit(request, self.core, self.dialect, presented_credential(request),
                      scope or write_scope(request))
        now = self.core.clock.now()
        decision = self.window.hit(grant.token, now)
        reset = max(0, int((decision.reset_at - now).total_seconds() + 0.999))
        headers = {"X-RateLimit-Limit": str(decision.limit),
                   "X-RateLimit-Remaining": str(decision.remaining),
                   "X-RateLimit-Reset": str(reset)}
        request.state.extra_headers.update(headers)
        if not decision.allowed:
            raise generic_error(429, "rate_limited", "Too many requests.",
                                {**headers, "Retry-After": str(decision.retry_after_seconds)},
                                retry_after=decision.retry_after_seconds)
        return grant

    def render(self, row: Row) -> dict[str, Any]:
        return {"id": str(row.id), **row.data, "created_at": iso_seconds_z(row.created_at),
                "updated_at": iso_seconds_z(row.updated_at)}

    def find_contacts(self, phone: str | None, name: str | None) -> list[Row]:
        rows = self.tables["contacts"].live()
        if phone:
            rows = [r for r in rows
                    if phones.digits_match(str(r.data.get("phone") or ""), phone,
                                           self.config.phone_match)]
        if name:
            rows = [r for r in rows if name.lower() in str(r.data.get("name", "")).lower()]
        return rows


def seed(box: GenericSandbox) -> None:
    past = box.core.clock.now() - timedelta(days=30)
    for user in SEED_USERS:
        box.tables["users"].add({"name": f"{user.first} {user.last}", "email": user.email,
                                 "username": user.email.split("@")[0]}, past)
    keys = [(k, e, {"*"}) for k, e in box.config.api_keys.items()]
    keys += [(k, e, {"read"}) for k, e in box.config.read_only_api_keys.items()]
    for key, email, scopes in keys:
        user_row = next((u for u in box.tables["users"].live() if u.data["email"] == email),
                        None)
        box.core.tokens.add_static(key, str(user_row.id if user_row else 0), scopes)
    for person in SEED_PEOPLE:
        box.tables["contacts"].add({"name": f"{person.first} {person.last}", "type": "Contact",
                                    "phone": person.phone, "email": person.email}, past)
