"""Pseudonymisation: platform user/extension IDs are stored only as keyed HMACs."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from callbridge.db.session import scope_of
from callbridge.errors import VaultError
from callbridge.privacy.vault import Vault

__all__ = ["PSEUDONYM_KEY_PURPOSE", "Pseudonymizer"]

PSEUDONYM_KEY_PURPOSE = "pseudonym-key"
PREFIX = "ps1_"


class Pseudonymizer:
    """Turns ``(kind, platform id)`` into a stable per-tenant HMAC; the key lives in the vault."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._keys: dict[str, bytes] = {}

    def pseudonym(self, session: Session, kind: str, platform_id: str | int) -> str:
        """``ps1_`` + 32 hex chars of HMAC-SHA256(tenant key, ``kind:id``)."""
        if not str(platform_id):
            raise ValueError("an empty id has no pseudonym")
        key = self._key(session)
        mac = hmac.new(key, f"{kind}:{platform_id}".encode(), hashlib.sha256).hexdigest()
        return PREFIX + mac[:32]

    def _key(self, session: Session) -> bytes:
        organization_id = scope_of(session).organization_id
        if organization_id is None:
            raise VaultError("Pseudonyms are computed inside one organization's session.")
        if organization_id not in self._keys:
            if not self.vault.exists(session, PSEUDONYM_KEY_PURPOSE, "v1"):
                self.vault.put(session, PSEUDONYM_KEY_PURPOSE, "v1", secrets.token_bytes(32))
            self._keys[organization_id] = self.vault.get(session, PSEUDONYM_KEY_PURPOSE, "v1")
        return self._keys[organization_id]
