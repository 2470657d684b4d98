"""HubSpot sandbox settings; facts from ``shared/reference/crm.md`` (HubSpot CRM v3)."""

from __future__ import annotations

from typing import Literal

from callbridge.sandbox.crm._kit.config import BaseSandboxConfig

READ_CONTACTS = "crm.objects.contacts.read"
WRITE_CONTACTS = "crm.objects.contacts.write"

ALL_SCOPES = frozenset({
    READ_CONTACTS, WRITE_CONTACTS, "crm.objects.companies.read", "crm.objects.companies.write",
    "crm.objects.deals.read", "crm.objects.deals.write", "crm.objects.owners.read", "tickets", "oauth",
})

PRIVATE_APP_TOKEN = "pat-na1-callbridge-sandbox-0000-all-scopes"
READONLY_PRIVATE_APP_TOKEN = "pat-na1-callbridge-sandbox-0000-read-only"


class HubSpotSandboxConfig(BaseSandboxConfig):
    """Knobs of the HubSpot sandbox; items marked unverified in crm.md are settable here."""

    portal_id: int = 24681357
    hub_domain: str = "callbridge-sandbox.hubspot.com"
    app_id: int = 3070001
    access_token_ttl_seconds: int = 1800  # expires_in of OAuth tokens
    # private-app tokens: token -> (seeded user email, scopes)
    private_app_tokens: dict[str, tuple[str, list[str]]] = {
        PRIVATE_APP_TOKEN: ("alice@callbridge.test", sorted(ALL_SCOPES)),
        READONLY_PRIVATE_APP_TOKEN: ("bob@callbridge.test", [READ_CONTACTS]),
    }
    # scope each object type needs to read / write (engagement scopes unverified)
    read_scopes: dict[str, str] = {
        "contacts": READ_CONTACTS, "companies": "crm.objects.companies.read",
        "deals": "crm.objects.deals.read", "tickets": "tickets", "calls": READ_CONTACTS,
        "communications": READ_CONTACTS, "notes": READ_CONTACTS,
        "owners": "crm.objects.owners.read",
    }
    write_scopes: dict[str, str] = {
        "contacts": WRITE_CONTACTS, "companies": "crm.objects.companies.write",
        "deals": "crm.objects.deals.write", "tickets": "tickets", "calls": WRITE_CONTACTS,
        "communications": WRITE_CONTACTS, "notes": WRITE_CONTACTS,
    }
    # Decision 3: created or changed records reach search only after this many seconds
    search_lag_seconds: float = 5.0
    # hs_searchable_calculated_*: "digits" (all digits, extension cut) or "national_digits"
    # (also drops a country code written as +CC/00CC); HubSpot's own rule is unverified
    searchable_phone_format: Literal["digits", "national_digits"] = "digits"
    country_calling_codes: list[str] = ["1", "7", "20", "27", "30", "31", "32", "33", "34", "39",
                                        "41", "43", "44", "45", "46", "47", "48", "49", "52",
                                        "55", "61", "64", "65", "81", "86", "91", "353"]
    # limits (private app Free/Starter: 100 per 10 s, 250,000 a day; OAuth apps 110 per 10 s)
    burst_limit_private: int = 100
    burst_limit_oauth: int = 110
    burst_interval_ms: int = 10_000
    daily_limit: int = 250_000
    account_time_zone: str = "America/New_York"  # daily limits reset at its midnight
    search_per_second: int = 5  # search: ~4-5 req/s per token, outside the 10 s window
    search_policy_name: str = "SECONDLY"  # unverified
    search_limit_headers: bool = False  # unverified whether search answers carry the headers
    send_retry_after: bool = True  # unverified
    expired_token_category: str = "EXPIRED_AUTHENTICATION"
    include_object_url: bool = True  # newer responses carry ``url``
    max_filter_groups: int = 5
    max_filters_per_group: int = 10
    max_filters_total: int = 25
    max_search_limit: int = 200
    max_search_results: int = 10_000
    custom_properties: dict[str, list[str]] = {}  # object type -> extra property names
