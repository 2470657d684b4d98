"""The HubSpot sandbox's state and behaviour, independent of the HTTP routes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request

from callbridge.sandbox.crm._kit.core import SandboxCore
from callbridge.sandbox.crm._kit.guard import admit, bearer_token
from callbridge.sandbox.crm._kit.limiter import DailyCounter, Decision, SlidingWindow
from callbridge.sandbox.crm._kit.timefmt import iso_z
from callbridge.sandbox.crm._kit.tokens import AccessGrant
from callbridge.sandbox.crm.hubspot import errors, properties, schema
from callbridge.sandbox.crm.hubspot import search as hs_search
from callbridge.sandbox.crm.hubspot.config import HubSpotSandboxConfig
from callbridge.sandbox.crm.hubspot.store import Edge, HubSpotStore, Record


@dataclass
class Owner:
    id: str
    user_id: int
    email: str
    first_name: str
    last_name: str
    created_at: datetime

    def render(self) -> dict[str, Any]:
        stamp = iso_z(self.created_at)
        return {"id": self.id, "email": self.email, "type": "PERSON",
                "firstName": self.first_name, "lastName": self.last_name,
                "userId": self.user_id, "userIdIncludingInactive": self.user_id,
                "createdAt": stamp, "updatedAt": stamp, "archived": False}


class HubSpotSandbox:
    """Records, owners, credentials and limits of one simulated HubSpot account."""

    def __init__(self, config: HubSpotSandboxConfig, core: SandboxCore) -> None:
        self.config = config
        self.core = core
        self.store = HubSpotStore()
        self.owners: dict[str, Owner] = {}
        self.dialect = errors.HubSpotDialect(config.expired_token_category,
                                             config.forced_retry_after_seconds)
        interval = timedelta(milliseconds=config.burst_interval_ms)
        self.burst = {"static": SlidingWindow(config.burst_limit_private, interval),
                      "oauth": SlidingWindow(config.burst_limit_oauth, interval)}
        self.daily = DailyCounter(config.daily_limit, config.account_time_zone)
        self.search_window = SlidingWindow(config.search_per_second, timedelta(seconds=1))

    # -- control API ---------------------------------------------------------------------
    def object_types(self) -> list[str]:
        return [*schema.OBJECT_TYPE_IDS, "owners"]

    def dump_objects(self, object_type: str) -> list[dict[str, Any]]:
        if object_type == "owners":
            return [o.render() for o in self.owners.values()]
        others = [t for t in schema.OBJECT_TYPE_IDS if t != object_type]
        return [self.render(r, full=True, assoc=others)
                for r in self.store.records[object_type].values()]

    def person_edit(self, object_type: str, object_id: str, fields: dict[str, Any]) -> Any:
        """A person changes properties in the HubSpot UI (any writable property)."""
        record = self.store.get(object_type, object_id)
        if record is None:
            raise KeyError(object_id)
        given = fields.get("properties", fields)
        values, problems = self._prepare(object_type, given, creating=False)
        if problems:
            raise ValueError("; ".join(p["message"] for p in problems))
        self.store.change(record, self._derived(object_type, values), self.core.clock.now())
        return self.render(record, full=True)

    # -- admission: faults, token, scope, limits -----------------------------------------
    def admit(self, request: Request, scope: str | None, *, search: bool = False) -> AccessGrant:
        grant = admit(request, self.core, self.dialect, bearer_token(request), scope)
        now = self.core.clock.now()
        app_key = "private" if grant.kind == "static" else f"oauth:{grant.client_id}"
        headers: dict[str, str] = {}
        daily = self.daily.peek(app_key, now)
        if search:
            window = self.search_window.hit(grant.token, now)
            if not window.allowed:
                raise errors.rate_limited(self.config.search_policy_name, window,
                                          self.config.send_retry_after, {})
        else:
            burst = self.burst[grant.kind].peek(app_key, now)
            headers = self._limit_headers(grant, burst, daily)
        if not daily.allowed:
            raise errors.rate_limited("DAILY", daily, self.config.send_retry_after, headers)
        if not search:
            burst = self.burst[grant.kind].hit(app_key, now)
            if not burst.allowed:
                raise errors.rate_limited("TEN_SECONDLY_ROLLING", burst,
                                          self.config.send_retry_after, headers)
        daily = self.daily.hit(app_key, now)
        if not search or self.config.search_limit_headers:
            burst = self.burst[grant.kind].peek(app_key, now)
            request.state.extra_headers.update(self._limit_headers(grant, burst, daily))
        return grant

    def _limit_headers(self, grant: AccessGrant, burst: Decision, daily: Decision
                       ) -> dict[str, str]:
        headers = {"X-HubSpot-RateLimit-Interval-Milliseconds": str(self.config.burst_interval_ms),
                   "X-HubSpot-RateLimit-Max": str(burst.limit),
                   "X-HubSpot-RateLimit-Remaining": str(burst.remaining)}
        if grant.kind == "static":  # OAuth apps get no daily headers
            headers["X-HubSpot-RateLimit-Daily"] = str(daily.limit)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(daily.remaining)
        return headers

    # -- records -------------------------------------------------------------------------
    def check_type(self, object_type: str) -> None:
        if object_type not in schema.OBJECT_TYPE_IDS:
            raise errors.validation(f"Unable to infer object type from: {object_type}")

    def _prepare(self, object_type: str, given: Any, *, creating: bool
                 ) -> tuple[dict[str, str], list[dict[str, Any]]]:
        if not isinstance(given, dict):
            raise errors.validation("properties must be an object of name -> value")
        return properties.prepare(
            object_type, given, creating=creating,
            custom=set(self.config.custom_properties.get(object_type, [])),
            dispositions=set(schema.DISPOSITIONS),
        )

    def _derived(self, object_type: str, values: dict[str, str]) -> dict[str, str]:
        """Add the properties HubSpot calculates from the ones written."""
        out = dict(values)
        for raw_name, calc_name in schema.PHONE_PROPERTIES.items():
            if raw_name in values:
                out[calc_name] = properties.searchable_phone(
                    values[raw_name], self.config.searchable_phone_format,
                    self.config.country_calling_codes)
        body_name = schema.BODY_PREVIEW.get(object_type)
        if body_name and body_name in values:
            out.update(properties.body_preview(values[body_name]))
        owner = self.owners.get(values.get("hubspot_owner_id", ""))
        if owner is not None:
            out.update({"hs_all_owner_ids": owner.id,
                        "hs_user_ids_of_all_owners": str(owner.user_id),
                        "hubspot_owner_assigneddate": iso_z(self.core.clock.now())})
        return out

    def create(self, object_type: str, body: dict[str, Any], grant: AccessGrant | None,
               at: datetime | None = None) -> Record:
        values, problems = self._prepare(object_type, body.get("properties") or {},
                                         creating=True)
        if problems:
            raise errors.invalid_properties(problems)
        edges = self._edges(object_type, body.get("associations") or [])
        values = self._derived(object_type, values)
        if object_type in schema.BODY_PREVIEW:
            source = "INTEGRATION" if grant is not None and grant.kind == "oauth" else "API"
            values.update({"hs_object_source": source, "hs_object_source_label": source,
                           "hs_object_source_id": str(self.config.app_id)})
        record = self.store.put(object_type, values, at or self.core.clock.now())
        for to_type, to_id, type_id, category in edges:
            self.store.associate(Edge(object_type, record.id, to_type, to_id, type_id, category))
        return record

    def update(self, record: Record, body: dict[str, Any]) -> Record:
        values, problems = self._prepare(record.object_type, body.get("properties"),
                                         creating=False)
        if problems:
            raise errors.invalid_properties(problems)
        return self.store.change(record, self._derived(record.object_type, values),
                                 self.core.clock.now())

    def _edges(self, from_type: str, items: Any) -> list[tuple[str, str, int, str]]:
        if not isinstance(items, list):
            raise errors.validation("associations must be a list")
        by_id = {v: k for k, v in schema.ASSOCIATION_TYPES.get(from_type, {}).items()}
        found = []
        for item in items:
            try:
                to_id = str(item["to"]["id"])
                specs = item["types"]
            except (KeyError, TypeError) as exc:
                raise errors.validation("each association needs to.id and types") from exc
            for spec in specs:
                type_id = spec.get("associationTypeId")
                to_type = by_id.get(type_id)
                if to_type is None:
                    raise errors.validation(
                        f"associationTypeId {type_id} is not a valid association type "
                        f"from {from_type}; known: {sorted(by_id)}")
                if self.store.get(to_type, to_id) is None:
                    raise errors.validation(
                        f"One or more associations are invalid: no {to_type} with id {to_id}")
                found.append((to_type, to_id, int(type_id),
                              spec.get("associationCategory", "HUBSPOT_DEFINED")))
        return found

    def render(self, record: Record, *, full: bool = False, props: list[str] | None = None,
               assoc: list[str] | None = None, snapshot: dict[str, str] | None = None
               ) -> dict[str, Any]:
        """The ``SimplePublicObject`` shape."""
        values = snapshot if snapshot is not None else record.properties
        if full:
            shown: dict[str, str | None] = {k: v for k, v in values.items() if v != ""}
        else:
            wanted = props or schema.default_properties(record.object_type)
            shown = {k: (values.get(k) or None) for k in wanted
                     if props or values.get(k)}
            for k in ("hs_object_id", schema.created_prop(record.object_type),
                      schema.modified_prop(record.object_type)):
                shown[k] = values.get(k)
        out: dict[str, Any] = {"id": record.id, "properties": dict(sorted(shown.items())),
                               "createdAt": iso_z(record.created_at),
                               "updatedAt": iso_z(record.updated_at), "archived": False}
        if self.config.include_object_url:
            type_id = schema.OBJECT_TYPE_IDS[record.object_type]
            out["url"] = (f"https://app.hubspot.com/contacts/{self.config.portal_id}/record/"
                          f"{type_id}/{record.id}")
        blocks = {}
        for to_type in assoc or []:
            results = self.store.associations(record.object_type, record.id, to_type)
            if results:
                blocks[to_type] = {"results": results}
        if blocks:
            out["associations"] = blocks
        return out

    def search(self, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            hs_search.check_shape(body, self.config.max_filter_groups,
                                  self.config.max_filters_per_group,
                                  self.config.max_filters_total, self.config.max_search_limit)
            now = self.core.clock.now()
            lag = timedelta(seconds=self.config.search_lag_seconds)
            hits = []
            for record in self.store.records[object_type].values():
                seen = None if record.archived else self.store.searchable(record, now, lag)
                if seen is not None and hs_search.matches(object_type, seen, body):
                    hits.append((record, seen))
        except hs_search.SearchError as exc:
            raise errors.validation(str(exc)) from exc
        sorts = body.get("sorts") or []
        hits.sort(key=lambda h: hs_search.sort_key(h[1], sorts),
                  reverse=hs_search.descending(sorts))
        hits = hits[: self.config.max_search_results]
        start = int(body.get("after") or 0)
        limit = int(body.get("limit", 10))
        page = hits[start:start + limit]
        props = list(body.get("properties") or []) or None
        out: dict[str, Any] = {
            "total": len(hits),
            "results": [self.render(r, props=props, snapshot=s) for r, s in page],
        }
        if start + limit < len(hits):
            out["paging"] = {"next": {"after": str(start + limit)}}
        return out

    def require(self, object_type: str, object_id: str) -> Record:
        record = self.store.get(object_type, object_id)
        if record is None:
            raise errors.not_found(object_type, object_id)
        return record
