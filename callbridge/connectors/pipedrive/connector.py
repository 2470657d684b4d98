"""Pipedrive: calls as activities (type ``call``), messages as notes, linked to person and deal.

Connection options (``ConnectorContext.options``): ``auth`` (``api_key`` default, ``oauth``,
``admin_oauth``), ``base_url`` (the company API host; OAuth uses the token's ``api_domain``),
``oauth_base`` (the OAuth server, for sandboxes), ``user_id`` (a per-user API key),
``company_domain`` (for record URLs; read from ``/v1/users/me`` otherwise).

Phone lookup: one ``/api/v2/persons/search`` on the national significant number
(``fields=phone``, not exact: Pipedrive matches the digits inside a stored number), every hit
checked with :func:`same_number` so a loose search never confuses two numbers. The marker of an
activity (or message note) is kept in its ``note``/``content``; a lost create is found again by
scanning the activities (``/api/v2/activities``) or notes (``/v1/notes``) updated since a
look-back window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from callbridge.connectors.auth import ApiKeyAuth, Auth, OAuth2, OAuthEndpoints
from callbridge.connectors.base import (
    Activity,
    ActivityDraft,
    ActivityKind,
    Connector,
    ConnectorError,
    ContactMatch,
    CrmIdentity,
    CrmUser,
    InvalidInput,
    PermissionDenied,
    Related,
    marker_token,
)
from callbridge.connectors.http import CrmClient, ErrorDetail, pages
from callbridge.connectors.matching import cached_find, crm_phone, same_number
from callbridge.connectors.pipedrive.manifest import MANIFEST
from callbridge.connectors.registry import ConnectorContext
from callbridge.domain.merge import render_section
from callbridge.domain.phone import PhoneNumber

__all__ = ["PipedriveConnector", "compose_note", "scope_rule"]

CRM = MANIFEST.display_name
MARKER_SECTION = "ref"
_NEEDS = re.compile(r"needs ([\w:.-]+)")
ACTIVITY_FIELDS = ("subject", "type", "due_date", "due_time", "duration", "done", "deal_id",
                   "person_id")


def compose_note(draft: ActivityDraft) -> str:
    """The sectioned body (Decision 6) with a final ``ref`` section holding the marker."""
    parts = [render_section(name, text) for name, text in draft.body_sections.items()]
    parts.append(render_section(MARKER_SECTION, marker_token(draft.marker)))
    return "\n\n".join(parts)


def scope_rule(crm: str, detail: ErrorDetail, action: str) -> ConnectorError | None:
    """Pipedrive's 403 says "Scope and URL mismatch (needs activities:full)": name the scope."""
    if detail.status != 403:
        return None
    found = _NEEDS.search(f"{detail.code} {detail.message}")
    scope = found.group(1) if found else None
    lacks = f"the {scope} scope" if scope else "the permission for this"
    doing = f" to {action}" if action else ""
    return PermissionDenied(crm, f"refused{doing}: the connected user or token lacks {lacks}.",
                            hint=("reconnect with an OAuth app granted that scope, or use the API "
                                  "token of a user with full access"), scope=scope)


def _hhmm(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    minutes = (seconds + 59) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class PipedriveConnector(Connector):
    info: ClassVar = MANIFEST.info()

    def __init__(self, client: CrmClient, *, base_url: str, default_region: str = "US",
                 company_domain: str | None = None, ctx: ConnectorContext | None = None) -> None:
        self.client = client
        self.auth = client.auth
        self.base_url = base_url.rstrip("/")
        self.default_region = default_region
        self.company_domain = company_domain
        self.ctx = ctx
        self.clock = client.http.clock

    @classmethod
    def from_context(cls, ctx: ConnectorContext) -> PipedriveConnector:
        kind = ctx.options.get("auth", "api_key")
        http = ctx.http(CRM)
        auth: Auth
        if kind == "api_key":
            auth = ApiKeyAuth(CRM, ctx.credentials, user_id=ctx.options.get("user_id"),
                              header="x-api-token", scheme=None)
        elif kind in ("oauth", "admin_oauth"):
            oauth_base = ctx.options.get("oauth_base")
            endpoints = OAuthEndpoints(
                authorize_url=f"{oauth_base}/oauth/authorize" if oauth_base else MANIFEST.authorize_url,
                token_url=f"{oauth_base}/oauth/token" if oauth_base else MANIFEST.token_url,
                revoke_url=f"{oauth_base}/oauth/revoke" if oauth_base else MANIFEST.revoke_url,
                scopes=MANIFEST.scopes, client_auth="basic")
            app = ctx.oauth_client if kind == "oauth" else None  # None: the org's own app
            auth = OAuth2(CRM, endpoints, ctx.credentials, http, ctx.clock, client=app)
        else:
            raise InvalidInput(CRM, f"the connection option auth={kind!r} is unknown.",
                               hint="use api_key, oauth or admin_oauth")
        client = CrmClient(CRM, http, auth, rules=[scope_rule])
        return cls(client, base_url=ctx.options.get("base_url", MANIFEST.api_base),
                   default_region=ctx.default_region,
                   company_domain=ctx.options.get("company_domain"), ctx=ctx)

    # -- plumbing ------------------------------------------------------------------------
    async def _url(self, path: str) -> str:
        extras = await self.client.auth.extras()
        base = extras.get("api_domain") or self.base_url
        return f"{base.rstrip('/')}{path}"

    async def _json(self, method: str, path: str, action: str, **kwargs: Any) -> Any:
        return await self.client.json(method, await self._url(path), action=action, **kwargs)

    async def _domain(self) -> str:
        if self.company_domain is None:
            me = await self.get_user_info()
            self.company_domain = me.account_id
        return self.company_domain

    async def _record_url(self, template: str, record_id: str) -> str:
        return template.format(account_id=await self._domain(), id=record_id)

    # -- identity and users --------------------------------------------------------------
    async def get_user_info(self) -> CrmIdentity:
        data = (await self._json("GET", "/v1/users/me", "check the connected user"))["data"]
        self.company_domain = self.company_domain or str(data.get("company_domain") or "")
        return CrmIdentity(str(data["id"]), str(data.get("email") or ""),
                           str(data.get("name") or ""), str(data.get("company_domain") or ""))

    async def list_users(self) -> Sequence[CrmUser]:
        data = (await self._json("GET", "/v1/users", "list users"))["data"] or []
        return [CrmUser(str(u["id"]), str(u.get("email") or ""), str(u.get("name") or ""))
                for u in data if u.get("active_flag", True)]

    # -- contacts ------------------------------------------------------------------------
    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        number = crm_phone(CRM, phone, self.default_region)
        cache = self.ctx.match_cache if self.ctx else None
        return await cached_find(cache, self.info.name, self.base_url, number,
                                 lambda: self._search(number))

    async def _search(self, number: PhoneNumber) -> list[ContactMatch]:
        term = number.national_digits.lstrip("0") or number.national_digits
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in pages(CRM, "find a contact"):
            params = {"term": term, "fields": "phone", "exact_match": "false",
                      "limit": str(MANIFEST.search_limit)}
            if cursor:
                params["cursor"] = cursor
            answer = await self._json("GET", "/api/v2/persons/search", "find a contact",
                                      params=params)
            items += [i["item"] for i in (answer.get("data") or {}).get("items") or []]
            cursor = (answer.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                break
        matches = []
        for item in items:
            phones = [str(p) if not isinstance(p, dict) else str(p.get("value", ""))
                      for p in item.get("phones") or []]
            stored = next((p for p in phones if same_number(p, number, self.default_region)), None)
            if stored is None:
                continue
            person_id = str(item["id"])
            matches.append(ContactMatch(person_id, "Person", str(item.get("name") or ""), stored,
                                        await self._deals(person_id),
                                        await self._record_url(MANIFEST.contact_url_template,
                                                               person_id)))
        return matches

    async def _deals(self, person_id: str) -> tuple[Related, ...]:
        answer = await self._json("GET", "/api/v2/deals", "list a person's deals",
                                  params={"person_id": person_id})
        return tuple(Related(str(d["id"]), "deal", str(d.get("title") or ""))
                     for d in answer.get("data") or [] if d.get("status", "open") == "open")

    async def create_contact(self, phone: str, name: str) -> ContactMatch:
        number = crm_phone(CRM, phone, self.default_region)
        body = {"name": name, "phones": [{"value": number.e164, "primary": True,
                                          "label": "work"}]}
        data = (await self._json("POST", "/api/v2/persons", "create a contact", json=body))["data"]
        if self.ctx and self.ctx.match_cache:
            self.ctx.match_cache.invalidate(self.info.name, self.base_url, number.e164)
        person_id = str(data["id"])
        return ContactMatch(person_id, "Person", str(data.get("name") or name), number.e164,
                            url=await self._record_url(MANIFEST.contact_url_template, person_id))

    # -- activities (calls) --------------------------------------------------------------
    def fields_of(self, draft: ActivityDraft) -> dict[str, str | int | float | bool | None]:
        if draft.kind in ("message", "fax"):
            return {}  # a note has only its content (merged by section)
        deal = next((r.id for r in draft.related if r.type == "deal"), None)
        return {
            "subject": draft.subject, "type": MANIFEST.activity_type,
            "due_date": draft.occurred_at.strftime("%Y-%m-%d"),
            "due_time": draft.occurred_at.strftime("%H:%M"),
            "duration": _hhmm(draft.duration_seconds), "done": True,
            "deal_id": int(deal) if deal and deal.isdigit() else deal,
            "person_id": int(draft.contact.id) if draft.contact and draft.contact.id.isdigit()
            else None,
        }

    async def _activity(self, data: Mapping[str, Any], kind: ActivityKind = "call") -> Activity:
        activity_id = str(data["id"])
        fields = {k: data.get(k) for k in ACTIVITY_FIELDS}
        return Activity(activity_id, kind, fields, str(data.get("note") or ""),
                        await self._record_url(MANIFEST.activity_url_template, activity_id))

    async def create_call_log(self, draft: ActivityDraft) -> Activity:
        fields = self.fields_of(draft)
        body: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
        body.pop("person_id", None)
        body["note"] = compose_note(draft)
        if draft.contact is not None:
            body["participants"] = [{"person_id": fields["person_id"], "primary": True}]
        if draft.owner_id:
            body["owner_id"] = int(draft.owner_id) if draft.owner_id.isdigit() else draft.owner_id
        data = (await self._json("POST", "/api/v2/activities", "log a call", json=body))["data"]
        return await self._activity(data, draft.kind)

    async def get_call_log(self, activity_id: str) -> Activity:
        data = (await self._json("GET", f"/api/v2/activities/{int(activity_id)}",
                                 "read a call log"))["data"]
        return await self._activity(data)

    async def update_call_log(self, activity_id: str, changes: Mapping[str, object],
                              body: str | None) -> Activity:
        patch = {k: v for k, v in changes.items() if k in ACTIVITY_FIELDS}
        unknown = sorted(set(changes) - set(ACTIVITY_FIELDS))
        if unknown:
            raise InvalidInput(CRM, f"cannot update the activity field(s) {', '.join(unknown)}.",
                               hint=f"use {', '.join(ACTIVITY_FIELDS)}")
        if body is not None:
            patch["note"] = body
        if not patch:
            return await self.get_call_log(activity_id)
        data = (await self._json("PATCH", f"/api/v2/activities/{int(activity_id)}",
                                 "update a call log", json=patch))["data"]
        return await self._activity(data)

    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        since = self.clock.now() - timedelta(hours=MANIFEST.marker_lookback_hours)
        needle = render_section(MARKER_SECTION, marker_token(marker))
        if kind in ("message", "fax"):
            return await self._find_note(needle, since)
        cursor: str | None = None
        for _ in pages(CRM, "find a call log by marker"):
            params = {"updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "limit": "500"}
            if cursor:
                params["cursor"] = cursor
            answer = await self._json("GET", "/api/v2/activities", "find a call log by marker",
                                      params=params)
            for item in answer.get("data") or []:
                if needle in str(item.get("note") or ""):
                    return await self._activity(item, kind)
            cursor = (answer.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return None

    # -- notes (messages) ----------------------------------------------------------------
    async def _find_note(self, needle: str, since: datetime) -> Activity | None:
        """Scan the notes updated since ``since`` (``GET /v1/notes``, paged by ``start``)."""
        start = 0
        for _ in pages(CRM, "find a message log by marker"):
            params = {"updated_since": since.strftime("%Y-%m-%d %H:%M:%S"), "start": str(start),
                      "limit": "500", "sort": "update_time DESC"}
            answer = await self._json("GET", "/v1/notes", "find a message log by marker",
                                      params=params)
            for item in answer.get("data") or []:
                if needle in str(item.get("content") or ""):
                    return await self._note(item)
            paging = (answer.get("additional_data") or {}).get("pagination") or {}
            if not paging.get("more_items_in_collection"):
                return None
            start = int(paging.get("next_start") or start + 500)

    async def _note(self, data: Mapping[str, Any]) -> Activity:
        note_id = str(data["id"])
        fields = {"deal_id": data.get("deal_id"), "person_id": data.get("person_id")}
        url = await self._record_url(MANIFEST.contact_url_template, str(data.get("person_id")))
        return Activity(note_id, "message", fields, str(data.get("content") or ""), url)

    async def create_message_log(self, draft: ActivityDraft) -> Activity:
        if draft.contact is None and not draft.related:
            raise InvalidInput(CRM, "a message note needs a person or a deal to sit on.",
                               hint="match or create the contact first")
        body: dict[str, Any] = {"content": compose_note(draft)}
        if draft.contact is not None:
            body["person_id"] = int(draft.contact.id)
        deal = next((r.id for r in draft.related if r.type == "deal"), None)
        if deal:
            body["deal_id"] = int(deal)
        if draft.owner_id:  # v1 notes name their owner ``user_id``
            body["user_id"] = int(draft.owner_id) if draft.owner_id.isdigit() else draft.owner_id
        data = (await self._json("POST", "/v1/notes", "log messages", json=body))["data"]
        return await self._note(data)

    async def get_message_log(self, activity_id: str) -> Activity:
        data = (await self._json("GET", f"/v1/notes/{int(activity_id)}", "read a message log"))["data"]
        return await self._note(data)

    async def update_message_log(self, activity_id: str, changes: Mapping[str, object],
                                 body: str | None) -> Activity:
        if body is None:  # a note has no structured fields: nothing else to write
            return await self.get_message_log(activity_id)
        data = (await self._json("PUT", f"/v1/notes/{int(activity_id)}",
                                 "update a message log", json={"content": body}))["data"]
        return await self._note(data)

    # -- disconnecting -------------------------------------------------------------------
    async def unauthorize(self) -> None:
        """OAuth: revoke the refresh token at Pipedrive; then forget the stored credentials.

        An API token cannot be revoked through the API: it is forgotten here, and the person
        regenerates it in Pipedrive (Settings → Personal preferences → API) if it leaked.
        """
        await self.client.auth.revoke()

    async def aclose(self) -> None:
        await self.client.aclose()
