"""Salesforce sandbox settings; facts from ``shared/reference/crm.md`` (REST API)."""

from __future__ import annotations

from typing import Literal

from callbridge.sandbox.crm._kit.config import BaseSandboxConfig

SEED_PASSWORD = "sandbox-password"
SEED_SECURITY_TOKEN = "SANDBOXTOKEN"


class SalesforceSandboxConfig(BaseSandboxConfig):
    """Knobs of the Salesforce sandbox; items marked unverified in crm.md are settable here."""

    org_id: str = "00D5e000000CbSbEAK"
    instance_url: str | None = None  # default: the URL the token request came to
    session_timeout_seconds: int = 7200  # no expires_in: the org's session timeout
    session_renews_on_use: bool = True
    password_grant: bool = True  # legacy username + password(+security token) login
    user_password: str = SEED_PASSWORD
    security_token: str = SEED_SECURITY_TOKEN
    daily_api_limit: int = 15_000  # rolling 24 h; Sforce-Limit-Info: api-usage=N/limit
    # SOSL phone matching: "digits_suffix" (a digits-only term finds formatted numbers, with or
    # without country code), "digits" (equal digit strings) or "exact" (text as stored)
    sosl_phone_match: Literal["digits_suffix", "digits", "exact"] = "digits_suffix"
    sosl_index_lag_seconds: float = 0.0  # SOSL may see new records late (unverified)
    task_default_status: str = "Not Started"  # org defaults (unverified)
    task_default_priority: str = "Normal"
    # upsert by external ID needs a custom field flagged External ID; a stock org has none
    external_id_fields: dict[str, list[str]] = {}
    custom_fields: dict[str, list[str]] = {}  # object -> extra text(255) fields
    query_batch_size: int = 2000
    # per-user object permissions ("<Object>.read|create|edit|delete" or "*"); missing: "*"
    user_permissions: dict[str, list[str]] = {
        "carol@callbridge.test": ["Contact.read", "Lead.read", "Account.read", "Task.read",
                                  "Event.read", "User.read", "Opportunity.read", "Case.read"],
    }
    permission_error_status: int = 403  # unverified
    permission_error_code: str = "INSUFFICIENT_ACCESS_OR_READONLY"  # unverified
