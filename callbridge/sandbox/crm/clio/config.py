"""Clio Manage sandbox settings; facts from ``shared/reference/crm.md`` (API v4)."""

from __future__ import annotations

from typing import Literal

from callbridge.sandbox.crm._kit.config import BaseSandboxConfig


class ClioSandboxConfig(BaseSandboxConfig):
    """Knobs of the Clio sandbox; items marked unverified in crm.md are settable here."""

    region: Literal["us", "ca", "eu", "au"] = "us"  # a token works only in its region
    access_token_ttl_seconds: int = 2_592_000  # 30 days; refresh tokens never expire
    rate_limit_per_minute: int = 50  # per access token, peak hours
    api_version_pattern: str = r"4\.0\.\d+"  # X-API-VERSION values accepted
    retired_api_versions: list[str] = ["4.0.0"]  # answered 410 Gone
    # contacts ``query``: digits of the query inside the digits of a stored number
    # ("digits_contains") or the raw text inside the stored text ("text_contains"); unverified
    query_phone_match: Literal["digits_contains", "text_contains"] = "digits_contains"
    validation_status: int = 422  # unverified
