"""Clio Manage: communications (phone/email type) linked to the contact and the matter.

Connection options: ``region`` (us, ca, eu, au; a token works only in its region) or
``base_url`` (a sandbox), ``auth`` (``oauth``: callbridge's registered app;
``admin_oauth``: the organization's own app from the store entry ``oauth_client``),
``api_version`` (sent as ``X-API-VERSION`` when set).

Updates honour Clio's etags: the etag of the last read (or write) of a communication is sent as
``If-Match``, so a person's edit between callbridge's read and write answers 412 and becomes
:class:`Conflict` (the caller reads again and merges). The marker sits in the body and is found
again with ``GET /communications.json?query=``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from callbridge.connectors.auth import OAuth2, OAuthEndpoints
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
    Related,
    Unavailable,
    marker_token,
)
from callbridge.connectors.clio.manifest import MANIFEST
from callbridge.connectors.http import CrmClient, ErrorDetail, pages
from callbridge.connectors.matching import cached_find, crm_phone, same_number
from callbridge.connectors.registry import ConnectorContext
from callbridge.domain.merge import render_section
from callbridge.domain.phone import PhoneNumber
from callbridge.http.client import TransportFailure

__all__ = ["ClioConnector", "compose_body", "version_rule"]

CRM = MANIFEST.display_name
MARKER_SECTION = "ref"
COMM_FIELDS = ("type", "subject", "received_at", "matter_id")


def compose_body(draft: ActivityDraft) -> str:
    parts = [render_section(name, text) for name, text in draft.body_sections.items()]
    parts.append(render_section(MARKER_SECTION, marker_token(draft.marker)))
    return "\n\n".join(parts)


def version_rule(crm: str, detail: ErrorDetail, action: str) -> ConnectorError | None:
    """410 on any path means the ``X-API-VERSION`` sent is invalid or retired."""
    if detail.status == 410 and "version" in detail.message.lower():
        return InvalidInput(crm, f"refused the API version ({detail.message}).",
                            hint="set the connection option api_version to a current 4.0.x "
                            "version, or leave it unset", field="api_version")
    return None


class ClioConnector(Connector):
    info: ClassVar = MANIFEST.info()

    def __init__(self, client: CrmClient, *, base_url: str, default_region: str = "US",
                 api_version: str | None = None, ctx: ConnectorContext | None = None) -> None:
        self.client = client
        self.auth = client.auth
        self.base_url = base_url.rstrip("/")
        self.default_region = default_region
        self.headers = {"X-API-VERSION": api_version} if api_version else {}
        self.ctx = ctx
        self._etags: dict[str, str] = {}

    @classmethod
    def from_context(cls, ctx: ConnectorContext) -> ClioConnector:
        region = ctx.options.get("region", "us")
        if "base_url" in ctx.options:
            base = ctx.options["base_url"]
        elif region in MANIFEST.regions:
            base = MANIFEST.regions[region]
        else:
            raise InvalidInput(CRM, f"the region {region!r} is unknown.",
                               hint=f"use one of {', '.join(MANIFEST.regions)}")
        http = ctx.http(CRM)
        endpoints = OAuthEndpoints(authorize_url=f"{base}/oauth/authorize",
                                   token_url=f"{base}/oauth/token", revoke_url=None)
        app = ctx.oauth_client if ctx.options.get("auth", "oauth") == "oauth" else None
        auth = OAuth2(CRM, endpoints, ctx.credentials, http, ctx.clock, client=app)
        client = CrmClient(CRM, http, auth, rules=[version_rule])
        return cls(client, base_url=base, default_region=ctx.default_region,
                   api_version=ctx.options.get("api_version"), ctx=ctx)

    # -- plumbing ------------------------------------------------------------------------
    async def _json(self, method: str, path: str, action: str, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else f"{self.base_url}/api/v4{path}"
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.json(method, url, action=action, headers=headers, **kwargs)

    async def _all(self, path: str, action: str, params: Mapping[str, str]) -> list[Any]:
        """Every page of a listing (``meta.paging.next``)."""
        answer = await self._json("GET", path, action, params=dict(params))
        items = list(answer.get("data") or [])
        for _ in pages(CRM, action):
            nxt = ((answer.get("meta") or {}).get("paging") or {}).get("next")
            if not nxt:
                break
            answer = await self._json("GET", nxt, action)
            items += answer.get("data") or []
        return items

    def _url(self, template: str, record_id: str) -> str:
        return template.format(id=record_id, account_id="", instance_url=self.base_url)

    # -- identity and users --------------------------------------------------------------
    async def get_user_info(self) -> CrmIdentity:
        data = (await self._json("GET", "/users/who_am_i.json", "check the connected user",
                                 params={"fields": "id,name,email"}))["data"]
        return CrmIdentity(str(data["id"]), str(data.get("email") or ""),
                           str(data.get("name") or ""))

    async def list_users(self) -> Sequence[CrmUser]:
        users = await self._all("/users.json", "list users",
                                {"fields": "id,name,email,enabled",
                                 "limit": str(MANIFEST.page_limit)})
        return [CrmUser(str(u["id"]), str(u.get("email") or ""), str(u.get("name") or ""))
                for u in users if u.get("enabled", True)]

    # -- contacts ------------------------------------------------------------------------
    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        number = crm_phone(CRM, phone, self.default_region)
        cache = self.ctx.match_cache if self.ctx else None
        return await cached_find(cache, self.info.name, self.base_url, number,
                                 lambda: self._search(number))

    async def _search(self, number: PhoneNumber) -> list[ContactMatch]:
        term = number.national_digits.lstrip("0") or number.national_digits
        contacts = await self._all("/contacts.json", "find a contact",
                                   {"query": term, "fields": MANIFEST.contact_fields,
                                    "limit": str(MANIFEST.page_limit)})
        matches = []
        for contact in contacts:
            numbers = [str(p.get("number") or "") for p in contact.get("phone_numbers") or []]
            stored = next((n for n in numbers if same_number(n, number, self.default_region)),
                          None)
            if stored is None:
                continue
            contact_id = str(contact["id"])
            matches.append(ContactMatch(contact_id, str(contact.get("type") or "Person"),
                                        str(contact.get("name") or ""), stored,
                                        await self._matters(contact_id),
                                        self._url(MANIFEST.contact_url_template, contact_id)))
        return matches

    async def _matters(self, contact_id: str) -> tuple[Related, ...]:
        matters = await self._all("/matters.json", "list a contact's matters",
                                  {"client_id": contact_id,
                                   "fields": "id,display_number,description,status"})
        return tuple(Related(str(m["id"]), "matter", str(m.get("display_number") or ""))
                     for m in matters if m.get("status", "Open") != "Closed")

    async def create_contact(self, phone: str, name: str) -> ContactMatch:
        number = crm_phone(CRM, phone, self.default_region)
        first, _, last = name.strip().rpartition(" ")
        data = {"type": "Person", "first_name": first or last, "last_name": last if first else "",
                "phone_numbers": [{"name": "Work", "number": number.e164,
                                   "default_number": True}]}
        created = (await self._json("POST", "/contacts.json", "create a contact",
                                    params={"fields": MANIFEST.contact_fields},
                                    json={"data": data}))["data"]
        if self.ctx and self.ctx.match_cache:
            self.ctx.match_cache.invalidate(self.info.name, self.base_url, number.e164)
        contact_id = str(created["id"])
        return ContactMatch(contact_id, str(created.get("type") or "Person"),
                            str(created.get("name") or name), number.e164,
                            url=self._url(MANIFEST.contact_url_template, contact_id))

    # -- communications ------------------------------------------------------------------
    def fields_of(self, draft: ActivityDraft) -> dict[str, str | int | float | bool | None]:
        matter = next((r.id for r in draft.related if r.type == "matter"), None)
        return {"type": MANIFEST.communication_types[draft.kind], "subject": draft.subject,
                "received_at": draft.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "matter_id": matter}

    def _activity(self, data: Mapping[str, Any], kind: ActivityKind) -> Activity:
        comm_id = str(data["id"])
        if data.get("etag"):
            self._etags[comm_id] = str(data["etag"])
        matter = data.get("matter") or {}
        fields = {"type": data.get("type"), "subject": data.get("subject"),
                  "received_at": data.get("received_at"),
                  "matter_id": str(matter["id"]) if matter.get("id") is not None else None}
        return Activity(comm_id, kind, fields, str(data.get("body") or ""),
                        self._url(MANIFEST.activity_url_template, comm_id))

    async def _create(self, draft: ActivityDraft) -> Activity:
        fields = self.fields_of(draft)
        data: dict[str, Any] = {"type": fields["type"], "subject": draft.subject,
                                "body": compose_body(draft), "received_at": fields["received_at"]}
        if draft.contact is not None:
            contact = [{"id": int(draft.contact.id), "type": "Contact"}]
            user = [{"id": int(draft.owner_id), "type": "User"}] if draft.owner_id else []
            inbound = draft.direction != "outbound"
            data["senders"], data["receivers"] = (contact, user) if inbound else (user, contact)
        if fields["matter_id"]:
            data["matter"] = {"id": int(str(fields["matter_id"]))}
        created = (await self._json("POST", "/communications.json", "log a communication",
                                    params={"fields": MANIFEST.communication_fields},
                                    json={"data": data}))["data"]
        return self._activity(created, draft.kind)

    async def _read(self, comm_id: str, kind: ActivityKind) -> Activity:
        data = (await self._json("GET", f"/communications/{int(comm_id)}.json",
                                 "read a communication",
                                 params={"fields": MANIFEST.communication_fields}))["data"]
        return self._activity(data, kind)

    async def _update(self, comm_id: str, kind: ActivityKind, changes: Mapping[str, object],
                      body: str | None) -> Activity:
        unknown = sorted(set(changes) - set(COMM_FIELDS))
        if unknown:
            raise InvalidInput(CRM, f"cannot update the communication field(s) "
                               f"{', '.join(unknown)}.", hint=f"use {', '.join(COMM_FIELDS)}")
        data: dict[str, Any] = {k: v for k, v in changes.items() if k != "matter_id"}
        if "matter_id" in changes:
            data["matter"] = {"id": int(str(changes["matter_id"]))} if changes["matter_id"] else None
        if body is not None:
            data["body"] = body
        if not data:
            return await self._read(comm_id, kind)
        if comm_id not in self._etags:
            await self._read(comm_id, kind)  # learn the etag to send as If-Match
        etag = self._etags[comm_id]
        updated = (await self._json("PATCH", f"/communications/{int(comm_id)}.json",
                                    "update a communication", headers={"If-Match": etag},
                                    params={"fields": MANIFEST.communication_fields},
                                    json={"data": data}))["data"]
        return self._activity(updated, kind)

    async def create_call_log(self, draft: ActivityDraft) -> Activity:
        return await self._create(draft)

    async def create_message_log(self, draft: ActivityDraft) -> Activity:
        return await self._create(draft)

    async def get_call_log(self, activity_id: str) -> Activity:
        return await self._read(activity_id, "call")

    async def update_call_log(self, activity_id: str, changes: Mapping[str, object],
                              body: str | None) -> Activity:
        return await self._update(activity_id, "call", changes, body)

    async def update_message_log(self, activity_id: str, changes: Mapping[str, object],
                                 body: str | None) -> Activity:
        return await self._update(activity_id, "message", changes, body)

    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        needle = render_section(MARKER_SECTION, marker_token(marker))
        found = await self._all("/communications.json", "find a communication by marker",
                                {"query": marker_token(marker), "fields": MANIFEST.communication_fields})
        for item in found:
            if needle in str(item.get("body") or ""):
                return self._activity(item, kind)
        return None

    # -- disconnecting -------------------------------------------------------------------
    async def unauthorize(self) -> None:
        """Revoke every token of this grant at Clio (``/oauth/deauthorize``), then forget them."""
        auth = self.client.auth
        try:
            granted = await auth.authorize()
        except ConnectorError:
            granted = None  # nothing usable stored: nothing to revoke at Clio
        if granted is not None:
            try:
                answer = await self.client.http.post(f"{self.base_url}/oauth/deauthorize",
                                                     data={"token": granted.token},
                                                     headers=dict(granted.headers))
            except TransportFailure as exc:
                raise Unavailable(CRM, "could not be reached to revoke the token.",
                                  hint="try disconnecting again later") from exc
            if answer.status_code >= 500:
                raise Unavailable(CRM, f"failed to revoke the token (HTTP {answer.status_code}).",
                                  hint="try disconnecting again later")
        await auth.forget()

    async def aclose(self) -> None:
        await self.client.aclose()
