"""Settings of the generic REST CRM (the target of declarative/proxy connectors)."""

from __future__ import annotations

from typing import Literal

from callbridge.sandbox.crm._kit.config import BaseSandboxConfig

API_KEY = "generic-callbridge-sandbox-key-alice"
READ_ONLY_API_KEY = "generic-callbridge-sandbox-key-carol-read-only"


class GenericSandboxConfig(BaseSandboxConfig):
    """Knobs of the generic CRM (our own design, shaped for App Connect's proxy sample)."""

    api_keys: dict[str, str] = {API_KEY: "alice@callbridge.test"}  # key -> user email
    read_only_api_keys: dict[str, str] = {READ_ONLY_API_KEY: "carol@callbridge.test"}  # may not write
    secret_key: str | None = None  # when set, every API call needs X-Secret-Key
    phone_match: Literal["exact", "digits", "digits_suffix"] = "digits_suffix"
    rate_limit_per_minute: int = 120
    access_token_ttl_seconds: int = 3600
