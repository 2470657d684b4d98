"""Salesforce: Task activities (WhoId/WhatId), SOSL phone search over Contacts and Leads.

Options: ``base_url`` (login host; a sandbox serves the API there too), ``auth`` (``oauth`` |
``admin_oauth`` | ``password``), ``api_version``. The API is called at the token's
``instance_url``. Creates and updates go through one composite request that also reads the
Task back, so a logged call costs one request (plus the lookup), an update two (read + write).
Every answer's ``Sforce-Limit-Info`` is kept in :attr:`SalesforceConnector.api_usage`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from callbridge.connectors.auth import Auth, OAuth2, OAuthEndpoints, PasswordAuth
from callbridge.connectors.base import (
    Activity,
    ActivityDraft,
    ActivityKind,
    AuthKind,
    ConnectorError,
    ConnectorInfo,
    ContactMatch,
    CrmIdentity,
    CrmUser,
    InvalidInput,
    PermissionDenied,
    RateLimited,
    Related,
    marker_token,
)
from callbridge.connectors.base import Connector as BaseConnector
from callbridge.connectors.http import CrmClient, ErrorDetail, default_error
from callbridge.connectors.matching import cached_find, crm_phone, same_number, search_terms
from callbridge.connectors.registry import ConnectorContext
from callbridge.connectors.salesforce.manifest import MANIFEST
from callbridge.domain.merge import render_section

__all__ = ["SalesforceConnector"]

FieldMap = dict[str, str | int | float | bool | None]
_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")
TASK_FIELDS = ["Id", "Subject", "Description", "CallType", "CallDurationInSeconds", "CallDisposition",
               "CallObject", "OwnerId", "Status", "WhoId", "WhatId", "ActivityDate"]
PLACEHOLDER_HINT = ("give the connected user 'Create' on Contacts, or turn off placeholder contacts "
                    "in callbridge's logging settings")


def _soql_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _rules(crm: str, detail: ErrorDetail, action: str) -> ConnectorError | None:
    doing = f" to {action}" if action else ""
    if detail.status == 403 and detail.code == "REQUEST_LIMIT_EXCEEDED":
        return RateLimited(crm, f"refused{doing}: the org's daily API request limit is used up "
                           "(REQUEST_LIMIT_EXCEEDED); retrying in 15 minutes.",
                           retry_after=timedelta(minutes=15),
                           hint="ask the Salesforce admin to raise the API limit, or log fewer "
                           "communications until the 24-hour window frees up")
    if detail.status == 403 and "ACCESS" in detail.code:
        return PermissionDenied(crm, f"refused{doing}: the connected user lacks the permission "
                                f"({detail.code}: {detail.message}).",
                                hint="ask the Salesforce admin to grant it to the user's profile or "
                                "permission set, or reconnect as a user who has it")
    return None


class SalesforceConnector(BaseConnector):
    info: ClassVar[ConnectorInfo] = MANIFEST.info()
    kit_profile: ClassVar[Any] = None  # set in callbridge.connectors.salesforce.kit

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.crm = MANIFEST.display_name
        self.login = (ctx.options.get("base_url") or MANIFEST.api_base).rstrip("/")
        self.version = ctx.options.get("api_version", MANIFEST.api_version)
        kind = AuthKind(ctx.options.get("auth", "oauth"))
        http = ctx.http("salesforce")
        endpoints = OAuthEndpoints(self.login + MANIFEST.authorize_path, self.login + MANIFEST.token_path,
                                   MANIFEST.scopes, revoke_url=self.login + MANIFEST.revoke_path,
                                   keep=("instance_url", "id"))
        self.auth: Auth
        if kind is AuthKind.oauth:
            self.auth = OAuth2(self.crm, endpoints, ctx.credentials, http, ctx.clock, ctx.oauth_client)
        elif kind is AuthKind.admin_oauth:
            self.auth = OAuth2.admin_managed(self.crm, endpoints, ctx.credentials, http, ctx.clock)
        elif kind is AuthKind.password:
            self.auth = PasswordAuth(self.crm, ctx.credentials, http, ctx.clock,
                                     token_url=endpoints.token_url, client=ctx.oauth_client)
        else:
            raise InvalidInput(self.crm, f"does not support {kind.value} authentication.",
                               hint="use oauth, admin_oauth or password", field="auth")
        self.client = CrmClient(self.crm, http, self.auth, rules=[_rules], observe=self._observe)
        self.api_usage: tuple[int, int] | None = None

    @classmethod
    def from_context(cls, ctx: ConnectorContext) -> SalesforceConnector:
        return cls(ctx)

    async def aclose(self) -> None:
        await self.client.aclose()

    def _observe(self, response: httpx.Response) -> None:
        found = _USAGE.search(response.headers.get("Sforce-Limit-Info", ""))
        if found:
            self.api_usage = (int(found.group(1)), int(found.group(2)))

    async def _instance(self) -> str:
        await self.auth.authorize()  # logs in first for the password kind
        return (await self.auth.extras()).get("instance_url", self.login).rstrip("/")

    async def _data(self) -> str:
        return f"{await self._instance()}/services/data/{self.version}"

    async def _url(self, template: str, record_id: str) -> str:
        return template.format(instance_url=await self._instance(), id=record_id, account_id="")

    # -- identity ------------------------------------------------------------------------
    async def get_user_info(self) -> CrmIdentity:
        info = await self.client.json("GET", f"{await self._instance()}/services/oauth2/userinfo",
                                      action="check the connection")
        return CrmIdentity(str(info["user_id"]), str(info.get("email", "")), str(info.get("name", "")),
                           str(info.get("organization_id", "")))

    async def list_users(self) -> Sequence[CrmUser]:
        rows = await self._query("SELECT Id, Name, Email FROM User WHERE IsActive = true", "list users")
        return [CrmUser(str(r["Id"]), str(r.get("Email") or ""), str(r.get("Name") or "")) for r in rows]

    async def _query(self, soql: str, action: str) -> list[dict[str, Any]]:
        data = await self.client.json("GET", f"{await self._data()}/query", params={"q": soql}, action=action)
        return list(data.get("records", []))

    # -- contacts ------------------------------------------------------------------------
    async def _match(self, record: Mapping[str, Any], related: tuple[Related, ...] = ()) -> ContactMatch:
        kind = str((record.get("attributes") or {}).get("type", "Contact"))
        record_id = str(record["Id"])
        if kind == "Contact" and record.get("AccountId"):
            related = (Related(str(record["AccountId"]), "Account"), *related)
        return ContactMatch(record_id, kind, str(record.get("Name") or ""), str(record.get("Phone") or ""),
                            related, await self._url(MANIFEST.contact_url_template, record_id))

    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        region = self.ctx.default_region
        terms = search_terms(crm_phone(self.crm, phone, region).e164, region)

        async def lookup() -> Sequence[ContactMatch]:
            term = " OR ".join(terms.digit_forms)
            sosl = (f"FIND {{{term}}} IN PHONE FIELDS RETURNING "
                    "Contact(Id, Name, Phone, MobilePhone, AccountId), Lead(Id, Name, Phone, MobilePhone)")
            data = await self.client.json("GET", f"{await self._data()}/search", params={"q": sosl},
                                          action="search contacts and leads by phone")
            records = data.get("searchRecords", []) if isinstance(data, dict) else data
            found = [r for r in records
                     if any(same_number(str(r.get(f) or ""), terms.number, self.ctx.default_region)
                            for f in ("Phone", "MobilePhone"))]
            if len(found) == 1 and found[0].get("AccountId"):
                return [await self._match(found[0], await self._opportunities(str(found[0]["AccountId"])))]
            return [await self._match(r) for r in found]

        return await cached_find(self.ctx.match_cache, "salesforce", self.login, terms.number, lookup)

    async def _opportunities(self, account_id: str) -> tuple[Related, ...]:
        try:
            rows = await self._query(f"SELECT Id, Name FROM Opportunity WHERE AccountId = "  # noqa: S608
                                     f"{_soql_quote(account_id)} LIMIT 5", "read the account's opportunities")
        except PermissionDenied:
            return ()
        return tuple(Related(str(r["Id"]), "Opportunity", str(r.get("Name") or "")) for r in rows)

    async def find_contact_by_name(self, name: str) -> Sequence[ContactMatch]:
        escaped = re.sub(r"([?&|!{}\[\]()^~*:\\\"'+-])", r"\\\1", name)
        sosl = (f"FIND {{{escaped}}} IN NAME FIELDS RETURNING Contact(Id, Name, Phone, AccountId), "
                "Lead(Id, Name, Phone)")
        data = await self.client.json("GET", f"{await self._data()}/search", params={"q": sosl},
                                      action="search contacts by name")
        return [await self._match(r) for r in data.get("searchRecords", [])]

    async def create_contact(self, phone: str, name: str) -> ContactMatch:
        number = crm_phone(self.crm, phone, self.ctx.default_region)
        first, _, last = name.strip().partition(" ")
        body = {"FirstName": first if last else "", "LastName": last or first or "Unknown",
                "Phone": number.e164}
        created = await self.client.json("POST", f"{await self._data()}/sobjects/Contact", json=body,
                                         action="create a placeholder contact",
                                         permission_hint=PLACEHOLDER_HINT)
        if self.ctx.match_cache is not None:
            self.ctx.match_cache.invalidate("salesforce", self.login, number.e164)
        record_id = str(created["id"])
        return ContactMatch(record_id, "Contact", name, number.e164, (),
                            await self._url(MANIFEST.contact_url_template, record_id))

    # -- activities ----------------------------------------------------------------------
    def fields_of(self, draft: ActivityDraft) -> FieldMap:
        names = MANIFEST.task_fields
        out: FieldMap = {names["subject"]: draft.subject[:255]}
        if draft.kind != "message":
            if draft.direction:
                out[names["direction"]] = MANIFEST.call_types[draft.direction]
            if draft.duration_seconds is not None:
                out[names["duration"]] = draft.duration_seconds
            if draft.disposition or draft.result:
                out[names["disposition"]] = (draft.disposition or draft.result or "")[:255]
        if draft.owner_id:
            out[names["owner"]] = draft.owner_id
        return out

    def _task(self, draft: ActivityDraft) -> dict[str, Any]:
        sections = [render_section(n, t) for n, t in draft.body_sections.items()]
        body: dict[str, Any] = {
            **self.fields_of(draft),
            "Description": "\n\n".join(sections)[:32000],
            "ActivityDate": draft.occurred_at.astimezone(UTC).date().isoformat(),
            "Status": "Completed",
            "CallObject": marker_token(draft.marker),
            "TaskSubtype": "Call" if draft.kind != "message" else "Task",
        }
        contact = draft.contact
        if contact is not None and contact.type in ("Contact", "Lead"):
            body["WhoId"] = contact.id
        related = [r for r in (*draft.related, *(contact.related if contact else ()))
                   if r.type in MANIFEST.what_types]
        if related and not (contact is not None and contact.type == "Lead"):  # a Lead takes no WhatId
            preferred = sorted(related, key=lambda r: MANIFEST.what_types.index(r.type))
            body["WhatId"] = preferred[0].id
        return body

    async def _activity(self, record: Mapping[str, Any], kind: ActivityKind) -> Activity:
        names = set(MANIFEST.task_fields.values()) - {"Status", "ActivityDate"}
        fields: FieldMap = {name: record.get(name) for name in sorted(names)}
        record_id = str(record["Id"])
        return Activity(record_id, kind, fields, str(record.get("Description") or ""),
                        await self._url(MANIFEST.activity_url_template, record_id))

    async def _composite(self, first: dict[str, Any], read_id: str, action: str) -> dict[str, Any]:
        """One round trip: a write and the read of the Task it wrote."""
        data = await self._data()
        prefix = data[data.index("/services/"):]
        body = {"allOrNone": True, "compositeRequest": [
            first,
            {"method": "GET", "referenceId": "read",
             "url": f"{prefix}/sobjects/Task/{read_id}?fields={','.join(TASK_FIELDS)}"}]}
        answer = await self.client.json("POST", f"{data}/composite", json=body, action=action)
        for part in answer.get("compositeResponse", []):
            status = int(part.get("httpStatusCode", 500))
            if status >= 300 and part.get("body") and "PROCESSING_HALTED" not in str(part["body"]):
                self._raise_part(status, part["body"], action)
        read = answer["compositeResponse"][-1]
        if int(read.get("httpStatusCode", 500)) >= 300:
            self._raise_part(int(read.get("httpStatusCode", 500)), read.get("body"), action)
        result: dict[str, Any] = read["body"]
        return result

    def _raise_part(self, status: int, body: Any, action: str) -> None:
        item = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
        fields = item.get("fields") or []
        detail = ErrorDetail(status, str(item.get("errorCode", ""))[:60], str(item.get("message", ""))[:200],
                             str(fields[0]) if fields else None)
        error = _rules(self.crm, detail, action) or default_error(self.crm, detail, action)
        if error is not None:
            raise error

    async def _create(self, draft: ActivityDraft) -> Activity:
        prefix = (await self._data())[len(await self._instance()):]
        record = await self._composite(
            {"method": "POST", "url": f"{prefix}/sobjects/Task", "referenceId": "task",
             "body": self._task(draft)},
            "@{task.id}", f"log the {draft.kind}")
        return await self._activity(record, draft.kind)

    async def _update(self, kind: ActivityKind, activity_id: str, changes: Mapping[str, object],
                      body: str | None) -> Activity:
        fields: dict[str, Any] = dict(changes)
        if body is not None:
            fields["Description"] = body[:32000]
        if not fields:
            return await self._get(kind, activity_id)
        prefix = (await self._data())[len(await self._instance()):]
        record = await self._composite(
            {"method": "PATCH", "url": f"{prefix}/sobjects/Task/{quote(activity_id)}", "referenceId": "patch",
             "body": fields}, quote(activity_id), f"update the {kind}")
        return await self._activity(record, kind)

    async def _get(self, kind: ActivityKind, activity_id: str) -> Activity:
        record = await self.client.json("GET", f"{await self._data()}/sobjects/Task/{quote(activity_id)}",
                                        params={"fields": ",".join(TASK_FIELDS)}, action=f"read the {kind}")
        return await self._activity(record, kind)

    async def create_call_log(self, draft: ActivityDraft) -> Activity:
        return await self._create(draft)

    async def update_call_log(self, activity_id: str, changes: Mapping[str, object],
                              body: str | None) -> Activity:
        return await self._update("call", activity_id, changes, body)

    async def get_call_log(self, activity_id: str) -> Activity:
        return await self._get("call", activity_id)

    async def create_message_log(self, draft: ActivityDraft) -> Activity:
        return await self._create(draft)

    async def update_message_log(self, activity_id: str, changes: Mapping[str, object],
                                 body: str | None) -> Activity:
        return await self._update("message", activity_id, changes, body)

    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        rows = await self._query(
            f"SELECT {', '.join(TASK_FIELDS)} FROM Task WHERE CallObject = "  # noqa: S608
            f"{_soql_quote(marker_token(marker))} LIMIT 1", f"look for an earlier {kind} log")
        return await self._activity(rows[0], kind) if rows else None

    async def upsert_call_disposition(self, activity_id: str, disposition: str) -> Activity:
        field = MANIFEST.task_fields["disposition"]
        return await self._update("call", activity_id, {field: disposition[:255]}, None)

    async def unauthorize(self) -> None:
        """Revoke the token at Salesforce (RFC 7009), then delete the stored credentials."""
        await self.auth.revoke()
