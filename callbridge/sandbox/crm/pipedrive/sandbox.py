"""The Pipedrive sandbox: persons, activities, notes, deals, users; limits and rendering."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request

from callbridge.sandbox.crm._kit import phones
from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm._kit.guard import admit, bearer_token
from callbridge.sandbox.crm._kit.limiter import SlidingWindow
from callbridge.sandbox.crm._kit.records import RecordTable, Row
from callbridge.sandbox.crm._kit.seed import SEED_PEOPLE, SEED_USERS
from callbridge.sandbox.crm._kit.timefmt import iso_seconds_z
from callbridge.sandbox.crm._kit.tokens import AccessGrant
from callbridge.sandbox.crm.pipedrive.config import PipedriveSandboxConfig
from callbridge.sandbox.crm.pipedrive.errors import PipedriveDialect, pd_error

TABLES = ("persons", "activities", "notes", "deals", "organizations", "users")


class PipedriveSandbox:
    def __init__(self, config: PipedriveSandboxConfig, core: SandboxCore) -> None:
        self.config = config
        self.core = core
        self.tables = {name: RecordTable(name) for name in TABLES}
        self.dialect = PipedriveDialect(config.rate_limit_message,
                                        config.scope_error_message,
                                        config.forced_retry_after_seconds)
        window = timedelta(seconds=config.burst_window_seconds)
        self.burst = {"static": SlidingWindow(config.burst_limit_api_token, window),
                      "oauth": SlidingWindow(config.burst_limit_oauth, window)}
        self.search_burst = SlidingWindow(config.search_burst_limit, window)

    # -- control API ---------------------------------------------------------------------
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

    # -- admission -----------------------------------------------------------------------
    def admit(self, request: Request, scope: str | None, *, search: bool = False
              ) -> AccessGrant:
        token = (request.headers.get("x-api-token") or request.query_params.get("api_token")
                 or bearer_token(request))
        grant = admit(request, self.core, self.dialect, token, None)
        if scope and not any(grant.has_scope(s) for s in _satisfying(scope)):
            raise self.dialect.forbidden(scope)
        now = self.core.clock.now()
        window = self.search_burst if search else self.burst[grant.kind]
        decision = window.hit(grant.token, now)
        reset = max(0, int((decision.reset_at - now).total_seconds() + 0.999))
        headers = {"x-ratelimit-limit": str(decision.limit),
                   "x-ratelimit-remaining": str(decision.remaining),
                   "x-ratelimit-reset": str(reset)}
        request.state.extra_headers.update(headers)
        if not decision.allowed:
            raise pd_error(429, self.config.rate_limit_message,
                           {**headers, "Retry-After": str(decision.retry_after_seconds)})
        return grant

    # -- rendering -----------------------------------------------------------------------
    def render(self, table: str, row: Row) -> dict[str, Any]:
        stamps = {"add_time": iso_seconds_z(row.created_at),
                  "update_time": iso_seconds_z(row.updated_at)}
        if table == "users":
            return {"id": row.id, **row.data}
        if table == "notes":  # v1 shape
            return {"id": row.id, **row.data, "active_flag": not row.deleted,
                    "add_time": row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "update_time": row.updated_at.strftime("%Y-%m-%d %H:%M:%S")}
        return {"id": row.id, **row.data, **stamps, "is_deleted": row.deleted}

    def search_persons(self, term: str, exact: bool) -> list[dict[str, Any]]:
        found = []
        for row in self.tables["persons"].live():
            values = [str(p.get("value", "")) for p in row.data.get("phones", [])]
            if any(self._phone_hit(v, term, exact) for v in values):
                org = self.tables["organizations"].get(row.data.get("org_id") or 0)
                found.append({"result_score": 1.0 if exact else 0.5, "item": {
                    "id": row.id, "type": "person", "name": row.data["name"],
                    "phones": values,
                    "emails": [str(e.get("value")) for e in row.data.get("emails", [])],
                    "visible_to": row.data.get("visible_to", 3),
                    "owner": {"id": row.data.get("owner_id")},
                    "organization": ({"id": org.id, "name": org.data["name"], "address": None}
                                     if org else None),
                    "custom_fields": [], "notes": []}})
        return found

    def _phone_hit(self, stored: str, term: str, exact: bool) -> bool:
        if self.config.phone_search == "exact":
            return stored == term if exact else term in stored
        want, have = phones.digits(term), phones.digits(stored)
        if not want:
            return False
        return have == want if exact else want in have


def _satisfying(scope: str) -> list[str]:
    """``contacts:read`` is also granted by ``contacts:full``."""
    if scope.endswith(":read"):
        return [scope, scope.replace(":read", ":full")]
    return [scope]


def seed(box: PipedriveSandbox) -> None:
    """Users, organizations, persons (many phone formats) and a deal for Ada."""
    past = box.core.clock.now() - timedelta(days=30)
    for index, user in enumerate(SEED_USERS):
        box.tables["users"].add({"name": f"{user.first} {user.last}", "email": user.email,
                                 "active_flag": True, "is_admin": index == 0,
                                 "company_domain": box.config.company_domain}, past)
    for token, (email, scopes) in box.config.api_tokens.items():
        user_row = next((u for u in box.tables["users"].live() if u.data["email"] == email),
                        None)
        box.core.tokens.add_static(token, str(user_row.id if user_row else 0), set(scopes))
    orgs: dict[str, int] = {}
    for person in SEED_PEOPLE:
        if person.company and person.company not in orgs:
            orgs[person.company] = box.tables["organizations"].add(
                {"name": person.company, "owner_id": 1}, past).id
        numbers = [{"value": person.phone, "primary": True, "label": "work"}]
        if person.mobile:
            numbers.append({"value": person.mobile, "primary": False, "label": "mobile"})
        row = box.tables["persons"].add({
            "name": f"{person.first} {person.last}", "first_name": person.first,
            "last_name": person.last, "owner_id": 1, "org_id": orgs.get(person.company or ""),
            "phones": numbers,
            "emails": [{"value": person.email, "primary": True, "label": "work"}],
            "visible_to": 3, "label_ids": [], "picture_id": None, "custom_fields": {}}, past)
        if person.first == "Ada":
            box.tables["deals"].add({"title": "Analytical Engine renewal", "value": 12000,
                                     "currency": "USD", "person_id": row.id,
                                     "org_id": orgs.get(person.company or ""), "owner_id": 1,
                                     "status": "open", "stage_id": 1}, past)
