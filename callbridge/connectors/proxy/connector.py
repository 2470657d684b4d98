"""``ProxyConnector``: the connector contract run from a compiled manifest.

Each operation renders its request from the manifest's templates, sends it with the
connection's credentials (refreshing once after a 401), applies the operation's error policy
and maps the answer with the manifest's JMESPath expressions. Errors name the CRM (its display
name), the cause and the fix; request and response bodies never reach a log or a message.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from callbridge.clock import Clock
from callbridge.connectors.auth import Auth
from callbridge.connectors.base import (
    Activity,
    ActivityDraft,
    ActivityKind,
    AuthExpired,
    AuthKind,
    Capability,
    Conflict,
    Connector,
    ConnectorError,
    ConnectorInfo,
    ContactMatch,
    CrmIdentity,
    CrmUser,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unavailable,
    marker_token,
)
from callbridge.connectors.http import ErrorDetail, classify_response, default_error, error_detail
from callbridge.connectors.matching import crm_phone
from callbridge.connectors.proxy.auth_headers import ManifestAuth
from callbridge.connectors.proxy.context import draft_context, number_context, spell
from callbridge.connectors.proxy.loader import CompiledManifest, CompiledOperation
from callbridge.connectors.proxy.mapping import Path
from callbridge.connectors.proxy.model import ErrorRule
from callbridge.connectors.proxy.templates import ABSENT, Template, TemplateProblem, render_value
from callbridge.errors import ConfigError
from callbridge.http.client import HttpClient, TransportFailure, parse_retry_after

__all__ = ["ProxyConnector", "connector_class", "join_url", "manifest_info"]

Empty = object()  # an error policy said "nothing there"
DEFAULT_RETRY_AFTER = timedelta(seconds=10)


def join_url(base_url: str, path: str) -> str:
    """App Connect's rule: an absolute path wins; otherwise one ``/`` between base and path."""
    if path.startswith(("http://", "https://")):
        return path
    if not path:
        return base_url
    return f"{base_url.rstrip('/')}/{path.lstrip('/')}"


def manifest_info(manifest: CompiledManifest) -> ConnectorInfo:
    model = manifest.model
    capabilities = {Capability.create_contact}
    optional = {"find_contact_by_name": Capability.find_contact_by_name,
                "list_users": Capability.list_users,
                "upsert_call_disposition": Capability.call_disposition}
    capabilities |= {cap for op, cap in optional.items() if op in manifest.operations}
    if any(rule.action == "existing" for rule in manifest.operations["create_call_log"].errors):
        capabilities.add(Capability.upsert_by_external_id)
    kinds = (AuthKind.api_key,) if model.auth.kind == "api_key" else (AuthKind.oauth,
                                                                       AuthKind.admin_oauth)
    return ConnectorInfo(model.name, model.display_name, kinds, frozenset(capabilities),
                         _format_style(model.urls.contact), _format_style(model.urls.activity),
                         timedelta(seconds=model.search_lag_seconds))


def _format_style(template: str) -> str:
    """A URL template as the rest of callbridge writes one: ``{{ id }}`` → ``{id}``."""
    return re.sub(r"\{\{\s*id\s*\}\}", "{id}", template)


def connector_class(manifest: CompiledManifest) -> type[ProxyConnector]:
    """A :class:`ProxyConnector` subclass bound to ``manifest`` (its ``info`` declared)."""
    name = "".join(p.title() for p in manifest.name.split("_")) + "ProxyConnector"
    return type(name, (ProxyConnector,), {"info": manifest_info(manifest), "manifest": manifest})


def resolve_settings(manifest: CompiledManifest, given: Mapping[str, str]) -> dict[str, str]:
    """The manifest's settings from ``given`` (defaults filled); names what is missing."""
    out: dict[str, str] = {}
    missing = []
    for name, setting in manifest.model.settings.items():
        value = given.get(name, setting.default)
        if value is None:
            if setting.required:
                missing.append(name)
            value = ""  # an optional setting left out reads as empty text
        out[name] = value
    if missing:
        raise ConfigError(f"{manifest.source}: the connection lacks the setting(s) "
                          f"{', '.join(missing)}.", field=missing[0],
                          hint="give them when connecting the CRM (secret ones go to the vault)")
    return out


class ProxyConnector(Connector):
    """A declarative connector; build one with :func:`connector_class` (one class per manifest)."""

    manifest: ClassVar[CompiledManifest]

    def __init__(self, *, auth: Auth, http: HttpClient, settings: Mapping[str, str],
                 default_region: str = "US", clock: Clock | None = None) -> None:
        self.crm = self.manifest.model.display_name
        self.settings = resolve_settings(self.manifest, settings)
        self.auth = ManifestAuth(auth, self.manifest.auth_headers, self.manifest.auth_query,
                                 self.settings, self.crm)
        self.http = http
        self.default_region = default_region
        self.clock = clock or http.clock
        self.base_url = self._text(self.manifest.base_url, {}, "base_url")
        self.sent = 0

    # -- plumbing ------------------------------------------------------------------------
    def _context(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        return {"settings": self.settings, **variables}

    def _text(self, value: Template | str, variables: Mapping[str, Any], key: str) -> str:
        rendered = self._render(value, variables, key)
        return "" if rendered is ABSENT or rendered is None else str(rendered)

    def _render(self, value: Any, variables: Mapping[str, Any], key: str) -> Any:
        try:
            return render_value(value, self._context(variables))
        except TemplateProblem as exc:
            raise InvalidInput(self.crm, f"the manifest template at {key} could not be rendered "
                               f"({exc}).", hint=f"fix {key} in {self.manifest.source}") from None

    async def _send(self, op: CompiledOperation, variables: Mapping[str, Any]) -> httpx.Response:
        key = f"operations.{op.name}.request"
        url = join_url(self.base_url, self._text(op.path, variables, f"{key}.path"))
        query = {k: v for k, v in self._render(op.query, variables, f"{key}.query").items()
                 if v is not None}
        headers = {**self._render(self.manifest.headers, variables, "headers"),
                   **self._render(op.headers, variables, f"{key}.headers")}
        kwargs: dict[str, Any] = {"params": query or None,
                                  "headers": {k: str(v) for k, v in headers.items()}}
        if op.body is not None:
            kwargs["json"] = self._render(op.body, variables, f"{key}.body")
        for attempt in (1, 2):
            granted = await self.auth.authorize()
            sent = {**kwargs, "headers": {**kwargs["headers"], **granted.headers},
                    "params": {**(kwargs["params"] or {}), **granted.params} or None}
            self.sent += 1
            try:
                response = await self.http.request(op.method, url, **sent)
            except TransportFailure as exc:
                raise Unavailable(self.crm, f"could not be reached {_doing(op.name)}.",
                                  hint="callbridge retries later; check the network and the "
                                  "CRM's status page") from exc
            if response.status_code != 401 or attempt == 2 or not await self.auth.refresh(granted):
                return response
        raise AssertionError("unreachable")

    async def _call(self, op_name: str, variables: Mapping[str, Any]) -> Any:
        """The response body, :data:`Empty`, or ``("existing", id)``; raises typed errors."""
        op = self.manifest.operations[op_name]
        response = await self._send(op, variables)
        if response.status_code < 300:
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise Unavailable(self.crm, f"answered {_doing(op.name)} with something that "
                                  "is not JSON.", hint="check the manifest's base_url and path"
                                  ) from None
        found = op.rule_for(response.status_code)
        if found is not None:
            rule, id_path = found
            outcome = self._policy(op, rule, id_path, response)
            if outcome is not None:
                return outcome
        self._classify(op, response)
        return None  # pragma: no cover - classify raises for every non-2xx

    def _detail(self, op: CompiledOperation, response: httpx.Response) -> ErrorDetail:
        detail = error_detail(response, self.clock.now())
        if op.response.message is not None:
            try:
                said = op.response.message.search(response.json())
            except ValueError:
                said = None
            if isinstance(said, str) and said:
                detail = replace(detail, message=said[:200])
        return detail

    def _classify(self, op: CompiledOperation, response: httpx.Response) -> None:
        detail = self._detail(op, response)

        def with_message(crm: str, found: ErrorDetail, action: str) -> ConnectorError | None:
            return default_error(crm, detail, action)

        classify_response(self.crm, response, action=_doing(op.name).removeprefix("to "),
                          rules=[with_message],
                          now=self.clock.now())

    def _policy(self, op: CompiledOperation, rule: ErrorRule, id_path: Path | None,
                response: httpx.Response) -> Any:
        if rule.action == "empty":
            return Empty
        detail = self._detail(op, response)
        said = f" ({detail.message})" if detail.message else ""
        doing = _doing(op.name)
        if rule.action == "existing":
            try:
                existing = id_path.search(response.json()) if id_path else None
            except ValueError:
                existing = None
            if existing is not None:
                return ("existing", str(existing))
            raise Conflict(self.crm, f"reported that the record exists{said} but named no id.",
                           hint=rule.hint or f"check operations.{op.name}.errors[].id (the path "
                           f"of the existing record's id) in {self.manifest.source}")
        hint = rule.hint
        if rule.action == "rate_limited":
            wait = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
            wait = wait or DEFAULT_RETRY_AFTER
            raise RateLimited(self.crm, f"asked callbridge to slow down {doing}{said}; retrying "
                              f"in {int(wait.total_seconds())} s.", retry_after=wait,
                              hint=hint or "nothing to do unless it persists")
        errors: dict[str, tuple[type[ConnectorError], str, str]] = {
            "not_found": (NotFound, "has no such record", "nothing to retry"),
            "conflict": (Conflict, "reported a conflict", "callbridge reads the record again"),
            "invalid_input": (InvalidInput, "rejected a value", "correct the value or mapping"),
            "permission_denied": (PermissionDenied, "refused: the connected user lacks the "
                                  "permission", f"ask the {self.crm} admin to grant it"),
            "auth_expired": (AuthExpired, "no longer accepts callbridge's credentials",
                             f"reconnect {self.crm} in callbridge"),
            "unavailable": (Unavailable, "failed", "callbridge retries with backoff"),
        }
        cls, cause, fix = errors[rule.action]
        raise cls(self.crm, f"{cause} {doing}{said}.", hint=hint or fix)

    # -- mapping -------------------------------------------------------------------------
    def _id(self, path: Path | None, document: Any, op: str) -> str:
        value = path.search(document) if path is not None else None
        if value is None or value == "":
            where = path.source if path is not None else "(none)"
            raise Unavailable(self.crm, f"answered {_doing(op)} without an id at {where!r}.",
                              hint=f"check operations.{op}.response.id in "
                              f"{self.manifest.source}")
        return str(value)

    def _fields(self, op: CompiledOperation, document: Any) -> dict[str, Any]:
        return {name: path.search(document) for name, path in op.response.fields.items()}

    def _items(self, op: CompiledOperation, body: Any) -> list[Any]:
        if body is Empty or body is None:
            return []
        found = op.response.list.search(body) if op.response.list is not None else body
        return found if isinstance(found, list) else ([] if found is None else [found])

    def _url(self, which: str, record_id: str) -> str:
        return self._text(self.manifest.urls[which], {"id": record_id, "account_id": ""},
                          f"urls.{which}")

    def _contact(self, op: CompiledOperation, item: Any) -> ContactMatch:
        record_id = self._id(op.response.id, item, op.name)
        fields = self._fields(op, item)
        return ContactMatch(record_id, str(fields.get("type") or "Contact"),
                            str(fields.get("name") or ""), str(fields.get("phone") or ""),
                            url=self._url("contact", record_id))

    def _activity(self, op: CompiledOperation, document: Any, kind: ActivityKind,
                  record_id: str | None = None) -> Activity:
        record_id = record_id or self._id(op.response.id, document, op.name)
        fields = self._fields(op, document)
        body = fields.pop(self.manifest.model.activity.body_field, None)
        return Activity(record_id, kind, {k: _scalar(v) for k, v in fields.items()},
                        str(body or ""), self._url("activity", record_id))

    # -- the contract --------------------------------------------------------------------
    async def get_user_info(self) -> CrmIdentity:
        op = self.manifest.operations["get_user_info"]
        body = await self._call(op.name, {})
        fields = self._fields(op, body)
        return CrmIdentity(self._id(op.response.id, body, op.name), str(fields.get("email") or ""),
                           str(fields.get("name") or ""), str(fields.get("account_id") or ""))

    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        op = self.manifest.operations["find_contact"]
        number = crm_phone(self.crm, phone, self.default_region)
        found: dict[str, ContactMatch] = {}
        context = number_context(number)
        for spelling in dict.fromkeys(spell(number, fmt) for fmt in op.phone_formats):
            body = await self._call(op.name, {"phone": spelling, "number": context})
            for item in self._items(op, body):
                match = self._contact(op, item)
                found.setdefault(match.id, match)
        return list(found.values())

    async def find_contact_by_name(self, name: str) -> Sequence[ContactMatch]:
        op = self._optional("find_contact_by_name")
        body = await self._call(op.name, {"name": name})
        return [self._contact(op, item) for item in self._items(op, body)]

    async def create_contact(self, phone: str, name: str) -> ContactMatch:
        op = self.manifest.operations["create_contact"]
        number = crm_phone(self.crm, phone, self.default_region)
        body = await self._call(op.name, {"phone": number.e164, "name": name,
                                          "number": number_context(number)})
        return self._contact(op, body)

    def fields_of(self, draft: ActivityDraft) -> dict[str, str | int | float | bool | None]:
        rendered = self._render(self.manifest.activity_fields, {"draft": draft_context(draft)},
                                "activity.fields")
        return {k: _scalar(v) for k, v in rendered.items()}

    async def _create(self, op_name: str, draft: ActivityDraft) -> Activity:
        op = self.manifest.operations[op_name]
        body = await self._call(op_name, {"draft": draft_context(draft),
                                          "fields": self.fields_of(draft),
                                          "marker": marker_token(draft.marker)})
        if isinstance(body, tuple):  # the policy found the record created before
            return await self._get(body[1], draft.kind)
        record_id = self._id(op.response.id, body, op_name)
        if op.response.fields:
            return self._activity(op, body, draft.kind, record_id)
        return await self._get(record_id, draft.kind)

    async def _update(self, op_name: str, kind: ActivityKind, activity_id: str,
                      changes: Mapping[str, object], body: str | None) -> Activity:
        op = self.manifest.operations[op_name]
        write = dict(changes)
        if body is not None:
            write[self.manifest.model.activity.body_field] = body
        answer = await self._call(op_name, {"activity_id": activity_id, "changes": dict(changes),
                                            "body": body, "write": write})
        if answer is Empty:
            raise NotFound(self.crm, f"has no activity {activity_id} to update.",
                           hint="the activity was deleted in the CRM; callbridge creates a new one")
        if op.response.fields and answer is not None:
            return self._activity(op, answer, kind, activity_id)
        return await self._get(activity_id, kind)

    async def _get(self, activity_id: str, kind: ActivityKind) -> Activity:
        op = self.manifest.operations["get_call_log"]
        body = await self._call(op.name, {"activity_id": activity_id})
        if body is Empty:
            raise NotFound(self.crm, f"has no activity {activity_id}.",
                           hint="the activity was deleted in the CRM; callbridge creates a new one")
        return self._activity(op, body, kind, activity_id)

    async def create_call_log(self, draft: ActivityDraft) -> Activity:
        return await self._create("create_call_log", draft)

    async def create_message_log(self, draft: ActivityDraft) -> Activity:
        return await self._create("create_message_log", draft)

    async def update_call_log(self, activity_id: str, changes: Mapping[str, object],
                              body: str | None) -> Activity:
        return await self._update("update_call_log", "call", activity_id, changes, body)

    async def update_message_log(self, activity_id: str, changes: Mapping[str, object],
                                 body: str | None) -> Activity:
        return await self._update("update_message_log", "message", activity_id, changes, body)

    async def get_call_log(self, activity_id: str) -> Activity:
        return await self._get(activity_id, "call")

    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        op = self.manifest.operations["find_activity_by_marker"]
        body = await self._call(op.name, {"marker": marker_token(marker), "kind": kind})
        items = self._items(op, body)
        return self._activity(op, items[0], kind) if items else None

    async def list_users(self) -> Sequence[CrmUser]:
        op = self._optional("list_users")
        body = await self._call(op.name, {})
        out = []
        for item in self._items(op, body):
            fields = self._fields(op, item)
            out.append(CrmUser(self._id(op.response.id, item, op.name),
                               str(fields.get("email") or ""), str(fields.get("name") or "")))
        return out

    async def upsert_call_disposition(self, activity_id: str, disposition: str) -> Activity:
        op = self._optional("upsert_call_disposition")
        await self._call(op.name, {"activity_id": activity_id, "disposition": disposition})
        return await self._get(activity_id, "call")

    async def unauthorize(self) -> None:
        """Sign out at the CRM (the manifest's ``unauthorize``), revoke, forget the credentials."""
        op = self.manifest.operations.get("unauthorize")
        if op is not None:
            with contextlib.suppress(AuthExpired):  # already refused: nothing left to revoke
                await self._call(op.name, {})
        await self.auth.revoke()

    def _optional(self, name: str) -> CompiledOperation:
        op = self.manifest.operations.get(name)
        if op is None:
            raise NotImplementedError(f"{self.crm} ({self.manifest.source}) declares no {name}")
        return op

    async def aclose(self) -> None:
        await self.http.aclose()


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _doing(op: str) -> str:
    return {"get_user_info": "to check the connected user", "find_contact": "to find a contact",
            "find_contact_by_name": "to find a contact by name",
            "create_contact": "to create a contact", "create_call_log": "to log a call",
            "update_call_log": "to update a call log", "get_call_log": "to read an activity",
            "create_message_log": "to log messages",
            "update_message_log": "to update a message log",
            "find_activity_by_marker": "to find an activity by its marker",
            "list_users": "to list users", "unauthorize": "to sign out",
            "upsert_call_disposition": "to set a call disposition"}.get(op, f"to {op}")
