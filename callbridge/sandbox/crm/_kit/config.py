"""Settings every CRM sandbox shares (each CRM's config extends these)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

DEFAULT_CLIENT_ID = "callbridge-sandbox-client"
DEFAULT_CLIENT_SECRET = "callbridge-sandbox-secret"


class BaseSandboxConfig(BaseModel):
    """OAuth client registry, consent behaviour, seeding and fault randomness."""

    model_config = ConfigDict(extra="forbid")

    clients: dict[str, str | None] = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
    auto_approve: bool = True  # the consent page approves at once (302 back with a code)
    require_pkce: bool = False
    seed: bool = True  # create the users and contacts of ``_kit.seed``
    rng_seed: int = 5  # randomness of the ``error_rate`` fault
    forced_retry_after_seconds: int = 2  # Retry-After of a 429 forced through /_sandbox/faults
