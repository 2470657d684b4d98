"""The Salesforce sandbox's state and operations (used by routes and by composite)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from fastapi import Request

from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm._kit.guard import admit, bearer_token
from callbridge.sandbox.crm._kit.limiter import SlidingWindow
from callbridge.sandbox.crm._kit.tokens import AccessGrant
from callbridge.sandbox.crm.salesforce import errors, soql, sosl
from callbridge.sandbox.crm.salesforce.config import SalesforceSandboxConfig
from callbridge.sandbox.crm.salesforce.errors import FieldProblem
from callbridge.sandbox.crm.salesforce.schema import SObject, build_objects
from callbridge.sandbox.crm.salesforce.store import SalesforceStore, SfRecord

Result = tuple[int, Any]


class SalesforceSandbox:
    """Records, users, sessions and the daily API limit of one simulated org."""

    def __init__(self, config: SalesforceSandboxConfig, core: SandboxCore) -> None:
        self.config = config
        self.core = core
        self.objects = build_objects(config.custom_fields, config.external_id_fields)
        self.store = SalesforceStore(self.objects)
        self.dialect = errors.SalesforceDialect(config.permission_error_status,
                                                config.permission_error_code)
        self.daily = SlidingWindow(config.daily_api_limit, timedelta(hours=24))
        self.cursors: dict[str, tuple[list[dict[str, Any]], int]] = {}

    # -- control API ---------------------------------------------------------------------
    def object_types(self) -> list[str]:
        return list(self.objects)

    def dump_objects(self, object_type: str) -> list[dict[str, Any]]:
        return [self.store.render(r, "v60.0") for r in self.store.records[object_type].values()]

    def person_edit(self, object_type: str, object_id: str, fields: dict[str, Any]) -> Any:
        record = self.store.get(object_id)
        if record is None or record.sobject != object_type:
            raise KeyError(object_id)
        try:
            values = self.store.clean(self.objects[object_type], fields, creating=False)
        except FieldProblem as problem:
            raise ValueError(problem.message) from problem
        user = self.user_by_email("alice@callbridge.test")
        self.store.update(record, values, self.core.clock.now(), user.id if user else "")
        return self.store.render(record, "v60.0")

    # -- users -----------------------------------------------------------------------------
    def user_by_email(self, email: str) -> SfRecord | None:
        return next((u for u in self.store.records["User"].values()
                     if str(u.values.get("Email", "")).lower() == email.lower()), None)

    def permissions_of(self, user: SfRecord) -> set[str]:
        return set(self.config.user_permissions.get(str(user.values["Email"]), ["*"]))

    # -- admission -------------------------------------------------------------------------
    def admit(self, request: Request, permission: str | None) -> AccessGrant:
        """Faults, session, daily API limit (403), then object permission."""
        grant = admit(request, self.core, self.dialect, bearer_token(request), None)
        now = self.core.clock.now()
        decision = self.daily.hit(self.config.org_id, now)
        usage = f"api-usage={decision.used}/{decision.limit}"
        request.state.extra_headers["Sforce-Limit-Info"] = usage
        if not decision.allowed:
            raise errors.limit_exceeded({"Sforce-Limit-Info": usage})
        if permission and not grant.has_scope(permission):
            raise self.dialect.forbidden(permission)
        return grant

    def sobject(self, name: str) -> SObject:
        obj = self.objects.get(name)
        if obj is None:
            raise errors.not_found()
        return obj

    # -- operations (status, body) ------------------------------------------------------
    def create(self, grant: AccessGrant, name: str, body: Any) -> Result:
        obj = self.sobject(name)
        _need(grant, f"{name}.create", self.dialect)
        if not isinstance(body, dict):
            raise errors.sf_error(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
        try:
            values = self.store.clean(obj, body, creating=True)
            self._defaults(obj, values)
        except FieldProblem as problem:
            raise problem.as_error() from problem
        record = self.store.insert(obj, values, self.core.clock.now(), grant.user_id)
        return 201, {"id": record.id, "success": True, "errors": []}

    def _defaults(self, obj: SObject, values: dict[str, Any]) -> None:
        if obj.name == "Task":
            values.setdefault("Status", self.config.task_default_status)
            values.setdefault("Priority", self.config.task_default_priority)
        if obj.name == "Event":
            timed = values.get("StartDateTime") and values.get("EndDateTime")
            duration = values.get("ActivityDateTime") and values.get("DurationInMinutes")
            if not (timed or duration):
                raise FieldProblem("REQUIRED_FIELD_MISSING", "Required fields are missing: "
                                   "[DurationInMinutes]", ["DurationInMinutes"])

    def read(self, grant: AccessGrant, name: str, record_id: str, version: str,
             fields: list[str] | None) -> Result:
        self.sobject(name)
        _need(grant, f"{name}.read", self.dialect)
        record = self.store.get(record_id)
        if record is None or record.sobject != name:
            raise errors.not_found()
        if fields:
            bad = [f for f in fields if self.objects[name].lookup(f) is None]
            if bad:
                raise errors.sf_error(400, "INVALID_FIELD", f"No such column '{bad[0]}' on "
                                      f"entity '{name}'.")
        return 200, self.store.render(record, version, fields)

    def patch(self, grant: AccessGrant, name: str, record_id: str, body: Any) -> Result:
        obj = self.sobject(name)
        _need(grant, f"{name}.edit", self.dialect)
        record = self.store.get(record_id)
        if record is None or record.sobject != name:
            raise errors.not_found()
        if not isinstance(body, dict):
            raise errors.sf_error(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
        try:
            values = self.store.clean(obj, body, creating=False)
        except FieldProblem as problem:
            raise problem.as_error() from problem
        self.store.update(record, values, self.core.clock.now(), grant.user_id)
        return 204, None

    def delete(self, grant: AccessGrant, name: str, record_id: str) -> Result:
        self.sobject(name)
        _need(grant, f"{name}.delete", self.dialect)
        record = self.store.get(record_id)
        if record is None or record.sobject != name:
            raise errors.not_found()
        del self.store.records[name][record.id]
        return 204, None

    def upsert(self, grant: AccessGrant, name: str, field: str, value: str, body: Any,
               version: str) -> Result:
        """PATCH by external ID: create (201), update (200), or 300 on several matches."""
        obj = self.sobject(name)
        spec = obj.lookup(field)
        if spec is None or not spec.external_id:
            raise errors.sf_error(404, "NOT_FOUND", "Provided external ID field does not "
                                  f"exist or is not accessible: {field}")
        found = [r for r in self.store.records[name].values()
                 if str(r.values.get(spec.name) or "") == value]
        if len(found) > 1:
            return 300, [f"/services/data/{version}/sobjects/{name}/{r.id}" for r in found]
        if not isinstance(body, dict):
            raise errors.sf_error(400, "JSON_PARSER_ERROR", "The body must be a JSON object")
        if spec.name in body or spec.name.lower() in {k.lower() for k in body}:
            raise errors.sf_error(400, "INVALID_FIELD", f"The external ID field {spec.name} "
                                  "should not be specified in the sobject data.")
        if found:
            self.patch(grant, name, found[0].id, body)
            return 200, {"id": found[0].id, "success": True, "errors": [], "created": False}
        status, created = self.create(grant, name, {**body, spec.name: value})
        return status, {**created, "created": True}

    def query(self, grant: AccessGrant, statement: str, version: str) -> Result:
        try:
            parsed = soql.parse(statement)
            obj = self.objects.get(parsed.sobject)
            if obj is None:
                raise FieldProblem("INVALID_TYPE", f"sObject type '{parsed.sobject}' is not "
                                   "supported.")
            _need(grant, f"{obj.name}.read", self.dialect)
            soql.check_fields(obj, parsed.where)
            for name in parsed.fields:
                if obj.lookup(name) is None:
                    raise FieldProblem("INVALID_FIELD", f"No such column '{name}' on entity "
                                       f"'{obj.name}'.")
        except FieldProblem as problem:
            raise problem.as_error() from problem
        rows = [r for r in self.store.records[obj.name].values()
                if soql.evaluate(obj, parsed.where, r.values)]
        if parsed.order:
            key, desc = parsed.order
            spec = obj.lookup(key)
            rows.sort(key=lambda r: (r.values.get(spec.name if spec else key) is None,
                                     str(r.values.get(spec.name if spec else key) or "")),
                      reverse=desc)
        rows = rows[parsed.offset:]
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        if parsed.count:
            return 200, {"totalSize": len(rows), "done": True, "records": []}
        rendered = [self.store.render(r, version, parsed.fields) for r in rows]
        return 200, self._page(rendered, len(rendered), version)

    def _page(self, rows: list[dict[str, Any]], total: int, version: str) -> dict[str, Any]:
        size = self.config.query_batch_size
        out: dict[str, Any] = {"totalSize": total, "done": len(rows) <= size,
                               "records": rows[:size]}
        if len(rows) > size:
            locator = f"01g5e{secrets.token_hex(6)}-{size}"
            self.cursors[locator] = (rows[size:], total)
            out["nextRecordsUrl"] = f"/services/data/{version}/query/{locator}"
        return out

    def more(self, locator: str, version: str) -> Result:
        found = self.cursors.pop(locator, None)
        if found is None:
            raise errors.sf_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return 200, self._page(*found, version)

    def search(self, grant: AccessGrant, statement: str, version: str) -> Result:
        try:
            parsed = sosl.parse(statement, self.objects)
        except FieldProblem as problem:
            raise problem.as_error() from problem
        found = self._run_search(grant, parsed, version)
        if _version_number(version) < 37.0:
            return 200, found  # old API versions answered a bare array
        return 200, {"searchRecords": found}

    def _run_search(self, grant: AccessGrant, parsed: sosl.Search, version: str
                    ) -> list[dict[str, Any]]:
        now = self.core.clock.now()
        lag = timedelta(seconds=self.config.sosl_index_lag_seconds)
        found: list[dict[str, Any]] = []
        for item in parsed.returning:
            obj = self.objects[item.query.sobject]
            if not grant.has_scope(f"{obj.name}.read"):
                continue
            rows = [r for r in self.store.records[obj.name].values()
                    if r.modified_at + lag <= now
                    and sosl.matches(obj, r, parsed.term, parsed.scope,
                                     self.config.sosl_phone_match)
                    and soql.evaluate(obj, item.query.where, r.values)]
            if item.query.limit is not None:
                rows = rows[: item.query.limit]
            found.extend(self.store.render(r, version, item.query.fields) for r in rows)
        return found[: parsed.limit]

    def parameterized(self, grant: AccessGrant, params: dict[str, list[str]], version: str
                      ) -> Result:
        term = (params.get("q") or [""])[0]
        scope = (params.get("in") or ["ALL"])[0].upper()
        names = params.get("sobject") or []
        shared = [f for raw in params.get("fields", []) for f in raw.split(",") if f]
        specs = []
        for name in names or [o for o in self.objects if o != "User"]:
            if name not in self.objects:
                raise errors.sf_error(400, "INVALID_TYPE",
                                      f"sObject type '{name}' is not supported.")
            own = [f for raw in params.get(f"{name}.fields", []) for f in raw.split(",") if f]
            fields = own or shared or ["Id"]
            specs.append(sosl.Returning(soql.Query(fields, name)))
        if len(term.replace("*", "").strip()) < 2:
            raise errors.sf_error(400, "MALFORMED_SEARCH",
                                  "search term must be longer than one character")
        parsed = sosl.Search(term, scope, specs, 2000)
        return 200, {"searchRecords": self._run_search(grant, parsed, version)}


def _need(grant: AccessGrant, permission: str, dialect: errors.SalesforceDialect) -> None:
    if not grant.has_scope(permission):
        raise dialect.forbidden(permission)


def _version_number(version: str) -> float:
    try:
        return float(version.lstrip("v"))
    except ValueError:
        return 99.0
