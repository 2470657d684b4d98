"""Pipedrive sandbox settings; facts from ``shared/reference/crm.md`` (API v2 + v1)."""

from __future__ import annotations

from typing import Literal

from callbridge.sandbox.crm._kit.config import BaseSandboxConfig

API_TOKEN = "pd-callbridge-sandbox-api-token-alice"
READONLY_API_TOKEN = "pd-callbridge-sandbox-api-token-carol"
READ_SCOPES = ["base", "contacts:read", "activities:read", "deals:read", "users:read",
               "search:read"]


class PipedriveSandboxConfig(BaseSandboxConfig):
    """Knobs of the Pipedrive sandbox; items marked unverified in crm.md are settable here."""

    company_domain: str = "callbridge-sandbox"
    api_tokens: dict[str, tuple[str, list[str]]] = {
        API_TOKEN: ("alice@callbridge.test", ["*"]),
        READONLY_API_TOKEN: ("carol@callbridge.test", READ_SCOPES),
    }
    access_token_ttl_seconds: int = 3599  # unverified
    # burst limits per rolling 2 s window (legacy request limits: api_token 20.., OAuth 80..)
    burst_limit_api_token: int = 20
    burst_limit_oauth: int = 80
    search_burst_limit: int = 10
    burst_window_seconds: float = 2.0
    # phone search: "digits" compares digit strings (exact_match: equal; else contained);
    # "exact" compares the stored text (unverified which Pipedrive does)
    phone_search: Literal["digits", "exact"] = "digits"
    rate_limit_message: str = "Request over limit"  # unverified wording
    scope_error_message: str = "Scope and URL mismatch"  # unverified wording
