"""Settings of the RingCentral sandbox: limits, token lifetimes, faults and webhook knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AuthConfig",
    "FaultConfig",
    "RateGroupLimit",
    "RateLimitConfig",
    "RingCentralSandboxConfig",
    "WebhookConfig",
]

DEFAULT_PERMISSIONS = [
    "ReadAccounts",
    "ReadCallLog",
    "ReadCallRecording",
    "ReadMessages",
    "EditMessages",
    "CallControl",
    "SubscriptionWebhook",
]


class RateGroupLimit(BaseModel):
    """One usage-plan group: ``limit`` requests per ``window_seconds``, then a penalty."""

    limit: int = Field(ge=1)
    window_seconds: float = Field(default=60.0, gt=0)
    penalty_seconds: float = Field(default=60.0, ge=0)


def _default_groups() -> dict[str, RateGroupLimit]:
    # Reference §4 / rc_rate_limits_doc_excerpt.md: default user-level limits and penalties.
    return {
        "Heavy": RateGroupLimit(limit=10),
        "Medium": RateGroupLimit(limit=40),
        "Light": RateGroupLimit(limit=50),
        "Auth": RateGroupLimit(limit=5),
    }


class RateLimitConfig(BaseModel):
    enabled: bool = True
    groups: dict[str, RateGroupLimit] = Field(default_factory=_default_groups)
    # The guide's only raw HTTP example shows `X-Rate-Limit-Group: light`; the table says *Light*.
    group_header_style: Literal["lower", "title"] = "lower"
    send_retry_after: bool = True


class FaultConfig(BaseModel):
    """Injected faults; they apply to `/restapi/...` requests only, never to `/_sandbox/...`."""

    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: int = Field(default=503, ge=500, le=599)
    latency_seconds: float = Field(default=0.0, ge=0, le=30)
    reset_rate: float = Field(default=0.0, ge=0, le=1)
    path_contains: str | None = None
    fail_next: int = Field(default=0, ge=0)
    reset_next: int = Field(default=0, ge=0)
    seed: int = 0


class WebhookConfig(BaseModel):
    """How deliveries misbehave: delays on the virtual clock, duplicates, reordering, drops."""

    delay_seconds: float = Field(default=0.0, ge=0)
    jitter_seconds: float = Field(default=0.0, ge=0)
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    duplicate_delay_seconds: float = Field(default=1.0, ge=0)
    reorder_rate: float = Field(default=0.0, ge=0, le=1)
    drop_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 0
    handshake_timeout_seconds: float = 3.0
    handshake_max_response_bytes: int = 1024
    request_timeout_seconds: float = 5.0
    blacklist_after_seconds: float = 600.0
    default_expires_in: int = 604800  # spec example answers 604799; the default is (unverified)
    max_expires_in: int = 315360000
    max_subscriptions_per_user: int = 30
    user_agent: str = "RingCentral-Webhook/8.3"
    auto_deliver_interval_seconds: float | None = None


class AuthConfig(BaseModel):
    """Seeded sandbox credentials (demo values, not secrets) and token lifetimes."""

    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    jwt: str = "sandbox-jwt-credential"
    jwt_extension_number: str | None = None  # None: the first extension (the admin)
    redirect_uris: list[str] = Field(default_factory=list)  # empty: any redirect URI
    auto_approve: bool = True
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 604800
    refresh_grace_seconds: float = 10.0
    refresh_unused_grace_seconds: float = 3600.0
    old_access_corrupted_seconds: float = 10.0
    auth_code_ttl: int = 60
    app_permissions: list[str] = Field(default_factory=lambda: list(DEFAULT_PERMISSIONS))


class RingCentralSandboxConfig(BaseModel):
    account_id: str = "400131598008"
    company_name: str = "Sandbox Co"
    main_number: str = "+16505550100"
    base_url: str | None = None  # None: URIs use the host the request came to
    media_base_url: str | None = None  # None: same as base_url
    auth: AuthConfig = Field(default_factory=AuthConfig)
    rate_limits: RateLimitConfig = Field(default_factory=RateLimitConfig)
    faults: FaultConfig = Field(default_factory=FaultConfig)
    webhooks: WebhookConfig = Field(default_factory=WebhookConfig)
    call_log_delay_seconds: float = 20.0  # a call appears 15–30 s after it ends (guide)
    recording_delay_min_seconds: float = 120.0
    recording_delay_max_seconds: float = 900.0
    recording_bytes: int | None = None  # None: sized like a real recording (by duration)
    recording_content_type: Literal["audio/mpeg", "audio/wav"] = "audio/mpeg"
    sync_max_records: int = 250
    extract_sync_max_records: int = 1000
    message_sync_overlap_seconds: float = 5.0
    message_purge_after_days: float = 5.0
    message_remove_after_days: float = 5.0
    max_request_log: int = 20000
    max_bulk_ids: int = 50
