"""HubSpot: calls and communications (SMS) engagements, contact search, owners, dispositions.

Options (``ConnectorContext.options``): ``base_url`` (API host; also used for OAuth when set,
e.g. a sandbox), ``auth`` (``oauth`` | ``admin_oauth`` | ``api_key``), ``account_id`` (portal id
for record URLs; looked up once when absent), ``user_id`` (per-user API key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from callbridge.connectors.auth import ApiKeyAuth, Auth, OAuth2, OAuthEndpoints
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
from callbridge.connectors.http import CrmClient, ErrorDetail, classify_response
from callbridge.connectors.hubspot.manifest import MANIFEST
from callbridge.connectors.matching import cached_find, crm_phone, same_number, search_terms
from callbridge.connectors.registry import ConnectorContext
from callbridge.domain.merge import render_section

__all__ = ["HubSpotConnector"]

FieldMap = dict[str, str | int | float | bool | None]
CONTACT_PROPS = ["firstname", "lastname", "phone", "mobilephone"]
PLACEHOLDER_HINT = ("reconnect with it, or turn off placeholder contacts in callbridge's logging "
                    "settings")


def _rebase(url: str, base: str | None) -> str:
    if not base:
        return url
    return base.rstrip("/") + urlsplit(url).path


def _locked(crm: str, detail: ErrorDetail, action: str) -> ConnectorError | None:
    if detail.status == 423:  # heavy writes to one record: HubSpot asks for >= 2 s
        return RateLimited(crm, f"locked the record{' to ' + action if action else ''} while it "
                           "takes other writes; retrying in 2 s.", retry_after=timedelta(seconds=2),
                           hint="nothing to do unless it persists")
    return None


class HubSpotConnector(BaseConnector):
    info: ClassVar[ConnectorInfo] = MANIFEST.info()
    kit_profile: ClassVar[Any] = None  # set in callbridge.connectors.hubspot.kit

    def __init__(self, ctx: ConnectorContext) -> None:
        self.ctx = ctx
        self.crm = MANIFEST.display_name
        base = ctx.options.get("base_url")
        self.api = (base or MANIFEST.api_base).rstrip("/")
        kind = AuthKind(ctx.options.get("auth", "oauth"))
        http = ctx.http("hubspot")
        endpoints = OAuthEndpoints(_rebase(MANIFEST.authorize_url, base), _rebase(MANIFEST.token_url, base),
                                   MANIFEST.scopes)
        self.auth: Auth
        if kind is AuthKind.oauth:
            self.auth = OAuth2(self.crm, endpoints, ctx.credentials, http, ctx.clock, ctx.oauth_client)
        elif kind is AuthKind.admin_oauth:
            self.auth = OAuth2.admin_managed(self.crm, endpoints, ctx.credentials, http, ctx.clock)
        elif kind is AuthKind.api_key:
            self.auth = ApiKeyAuth(self.crm, ctx.credentials, user_id=ctx.options.get("user_id"))
        else:
            raise InvalidInput(self.crm, f"does not support {kind.value} authentication.",
                               hint="use oauth, admin_oauth or api_key", field="auth")
        self.client = CrmClient(self.crm, http, self.auth, rules=[_locked])
        self._account_id = ctx.options.get("account_id", "")
        self._dispositions: dict[str, str] | None = None

    @classmethod
    def from_context(cls, ctx: ConnectorContext) -> HubSpotConnector:
        return cls(ctx)

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- identity ------------------------------------------------------------------------
    async def _token_info(self) -> dict[str, Any]:
        granted = await self.auth.authorize()
        info: dict[str, Any] = await self.client.json(
            "GET", f"{self.api}/oauth/v1/access-tokens/{granted.token}", action="check the connection")
        return info

    async def get_user_info(self) -> CrmIdentity:
        info = await self._token_info()
        self._account_id = str(info.get("hub_id", self._account_id))
        email = str(info.get("user") or "")
        name = ""
        try:
            owners = await self.client.json("GET", f"{self.api}/crm/v3/owners", params={"email": email},
                                            action="read the user's name")
            for owner in owners.get("results", []):
                name = f"{owner.get('firstName', '')} {owner.get('lastName', '')}".strip()
        except PermissionDenied:
            pass  # the name is a nicety; owners.read is optional
        return CrmIdentity(str(info.get("user_id", "")), email, name, self._account_id)

    async def _account(self) -> str:
        if not self._account_id:
            self._account_id = str((await self._token_info()).get("hub_id", ""))
        return self._account_id

    async def list_users(self) -> Sequence[CrmUser]:
        data = await self.client.json("GET", f"{self.api}/crm/v3/owners", params={"limit": "100"},
                                      action="list users")
        return [CrmUser(str(o["id"]), str(o.get("email", "")),
                        f"{o.get('firstName', '')} {o.get('lastName', '')}".strip())
                for o in data.get("results", [])]

    # -- contacts ------------------------------------------------------------------------
    def _contact(self, record: Mapping[str, Any], related: tuple[Related, ...] = ()) -> ContactMatch:
        props = record.get("properties") or {}
        name = f"{props.get('firstname') or ''} {props.get('lastname') or ''}".strip()
        url = MANIFEST.contact_url_template.format(account_id=self._account_id, id=record["id"])
        return ContactMatch(str(record["id"]), "contact", name, str(props.get("phone") or ""), related,
                            url if self._account_id else "")

    async def find_contact(self, phone: str) -> Sequence[ContactMatch]:
        region = self.ctx.default_region
        terms = search_terms(crm_phone(self.crm, phone, region).e164, region)
        account = self._account_id or "default"

        async def lookup() -> Sequence[ContactMatch]:
            digits, spellings = list(terms.digit_forms), list(terms.spellings)
            body = {"filterGroups": [
                {"filters": [{"propertyName": "hs_searchable_calculated_phone_number",
                              "operator": "IN", "values": digits}]},
                {"filters": [{"propertyName": "hs_searchable_calculated_mobile_number",
                              "operator": "IN", "values": digits}]},
                {"filters": [{"propertyName": "phone", "operator": "IN", "values": spellings}]},
                {"filters": [{"propertyName": "mobilephone", "operator": "IN", "values": spellings}]},
            ], "properties": CONTACT_PROPS, "limit": 100}
            data = await self.client.json("POST", f"{self.api}/crm/v3/objects/contacts/search", json=body,
                                          action="search contacts by phone")
            found = [r for r in data.get("results", [])
                     if any(same_number(str((r.get("properties") or {}).get(p) or ""), terms.number,
                                        self.ctx.default_region) for p in ("phone", "mobilephone"))]
            if len(found) == 1:
                return [self._contact(found[0], await self._deals_of(str(found[0]["id"])))]
            return [self._contact(r) for r in found]

        return await cached_find(self.ctx.match_cache, "hubspot", account, terms.number, lookup)

    async def _deals_of(self, contact_id: str) -> tuple[Related, ...]:
        """The contact's deals and companies (one read with ``associations=``)."""
        try:
            data = await self.client.json(
                "GET", f"{self.api}/crm/v3/objects/contacts/{contact_id}",
                params={"properties": "hs_object_id", "associations": "deals,companies"},
                action="read the contact's deals")
        except PermissionDenied:
            return ()
        blocks = data.get("associations") or {}
        return tuple(Related(str(item["id"]), kind)
                     for kind, block in (("deal", blocks.get("deals")), ("company", blocks.get("companies")))
                     for item in (block or {}).get("results", []))

    async def find_contact_by_name(self, name: str) -> Sequence[ContactMatch]:
        data = await self.client.json("POST", f"{self.api}/crm/v3/objects/contacts/search",
                                      json={"query": name, "properties": CONTACT_PROPS, "limit": 50},
                                      action="search contacts by name")
        return [self._contact(r) for r in data.get("results", [])]

    async def create_contact(self, phone: str, name: str) -> ContactMatch:
        number = crm_phone(self.crm, phone, self.ctx.default_region)
        first, _, last = name.strip().partition(" ")
        props = {"firstname": first, "lastname": last or first, "phone": number.e164}
        record = await self.client.json("POST", f"{self.api}/crm/v3/objects/contacts",
                                        json={"properties": props}, action="create a placeholder contact",
                                        permission_hint=PLACEHOLDER_HINT)
        if self.ctx.match_cache is not None:
            self.ctx.match_cache.invalidate("hubspot", self._account_id or "default", number.e164)
        return self._contact(record)

    # -- activities ----------------------------------------------------------------------
    def _object(self, kind: ActivityKind) -> str:
        return MANIFEST.objects[kind]

    def _body(self, draft: ActivityDraft) -> str:
        sections = [render_section(name, text) for name, text in draft.body_sections.items()]
        sections.append(render_section("ref", f"callbridge {marker_token(draft.marker)}"))
        return "\n\n".join(sections)

    def _disposition(self, value: str) -> str:
        known = {**MANIFEST.dispositions, **(self._dispositions or {})}
        return known.get(value.strip().lower(), value)

    def fields_of(self, draft: ActivityDraft) -> FieldMap:
        if self._object(draft.kind) == "communications":
            return {}
        names = MANIFEST.call_properties
        out: FieldMap = {names["subject"]: draft.subject}
        if draft.direction:
            out[names["direction"]] = draft.direction.upper()
        if draft.duration_seconds is not None:
            out[names["duration_ms"]] = str(draft.duration_seconds * 1000)
        if draft.result:
            out[names["result"]] = MANIFEST.call_status.get(draft.result.lower(), "COMPLETED")
        if draft.disposition:
            out[names["disposition"]] = self._disposition(draft.disposition)
        if draft.recording_url:
            out[names["recording_url"]] = draft.recording_url
        if draft.from_number:
            out[names["from_number"]] = draft.from_number
        if draft.to_number:
            out[names["to_number"]] = draft.to_number
        if draft.owner_id:
            out[names["owner"]] = draft.owner_id
        return out

    def _associations(self, object_type: str, draft: ActivityDraft) -> list[dict[str, Any]]:
        type_ids = MANIFEST.association_types.get(object_type, {})
        targets: list[tuple[str, str]] = []
        if draft.contact is not None:
            targets.append(("contacts", draft.contact.id))
        plural = {"deal": "deals", "company": "companies", "ticket": "tickets", "contact": "contacts"}
        targets += [(plural.get(r.type.lower(), r.type.lower()), r.id) for r in draft.related]
        return [{"to": {"id": target_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                      "associationTypeId": type_ids[to_type]}]}
                for to_type, target_id in dict.fromkeys(targets) if to_type in type_ids]

    def _activity(self, record: Mapping[str, Any], kind: ActivityKind, object_type: str) -> Activity:
        props = record.get("properties") or {}
        body = str(props.get(MANIFEST.body_property[object_type]) or "")
        fields: FieldMap = {}
        if object_type == "calls":
            fields = {name: props.get(name) for name in MANIFEST.call_properties.values()}
        url = ""
        if self._account_id:
            url = MANIFEST.activity_url_template.format(account_id=self._account_id, id=record["id"])
        return Activity(str(record["id"]), kind, fields, body, url)

    async def _create(self, draft: ActivityDraft) -> Activity:
        object_type = self._object(draft.kind)
        when = draft.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        props: dict[str, Any] = {"hs_timestamp": when, MANIFEST.body_property[object_type]: self._body(draft)}
        if object_type == "communications":
            props.update({"hs_communication_channel_type": "SMS", "hs_communication_logged_from": "CRM"})
            if draft.owner_id:
                props["hubspot_owner_id"] = draft.owner_id
        else:
            props.update(self.fields_of(draft))
        await self._account()
        record = await self.client.json(
            "POST", f"{self.api}/crm/v3/objects/{object_type}",
            json={"properties": props, "associations": self._associations(object_type, draft)},
            action=f"log the {draft.kind}")
        return self._activity(record, draft.kind, object_type)

    async def _update(self, kind: ActivityKind, activity_id: str, changes: Mapping[str, object],
                      body: str | None) -> Activity:
        object_type = self._object(kind)
        props: dict[str, Any] = dict(changes)
        if body is not None:
            props[MANIFEST.body_property[object_type]] = body
        await self._account()
        record = await self.client.json("PATCH", f"{self.api}/crm/v3/objects/{object_type}/{activity_id}",
                                        json={"properties": props}, action=f"update the {kind}")
        return self._activity(record, kind, object_type)

    async def _get(self, kind: ActivityKind, activity_id: str) -> Activity:
        object_type = self._object(kind)
        props = [MANIFEST.body_property[object_type], *MANIFEST.call_properties.values()]
        await self._account()
        record = await self.client.json("GET", f"{self.api}/crm/v3/objects/{object_type}/{activity_id}",
                                        params={"properties": ",".join(props)}, action=f"read the {kind}")
        return self._activity(record, kind, object_type)

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

    async def get_message_log(self, activity_id: str) -> Activity:
        return await self._get("message", activity_id)

    async def find_activity_by_marker(self, marker: str, kind: ActivityKind) -> Activity | None:
        object_type = self._object(kind)
        body_prop = MANIFEST.body_property[object_type]
        body = {"filterGroups": [{"filters": [{"propertyName": body_prop, "operator": "CONTAINS_TOKEN",
                                               "value": marker_token(marker)}]}],
                "properties": [body_prop, *MANIFEST.call_properties.values()], "limit": 2}
        await self._account()
        data = await self.client.json("POST", f"{self.api}/crm/v3/objects/{object_type}/search", json=body,
                                      action=f"look for an earlier {kind} log")
        results = data.get("results", [])
        return self._activity(results[0], kind, object_type) if results else None

    async def upsert_call_disposition(self, activity_id: str, disposition: str) -> Activity:
        if self._dispositions is None:
            listed = await self.client.json("GET", f"{self.api}/calling/v1/dispositions",
                                            action="read the call outcomes")
            self._dispositions = {str(d["label"]).lower(): str(d["id"]) for d in listed
                                  if not d.get("deleted")}
        guid = self._disposition(disposition)
        if guid not in {*MANIFEST.dispositions.values(), *self._dispositions.values()}:
            raise InvalidInput(self.crm, f"has no call outcome {disposition!r}.",
                               hint="use one of: " + ", ".join(sorted(self._dispositions)),
                               field=MANIFEST.call_properties["disposition"])
        return await self._update("call", activity_id, {MANIFEST.call_properties["disposition"]: guid}, None)

    async def unauthorize(self) -> None:
        """Revoke the refresh token at HubSpot (OAuth), then delete the stored credentials."""
        if isinstance(self.auth, OAuth2):
            token = await self.ctx.credentials.get("token") or {}
            refresh = token.get("refresh_token")
            if refresh:
                response = await self.client.http.delete(f"{self.api}/oauth/v1/refresh-tokens/{refresh}")
                if response.status_code not in (204, 404):
                    classify_response(self.crm, response, action="revoke the connection")
        await self.auth.forget()


