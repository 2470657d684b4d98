"""Where a connector keeps its credentials: a small dict of strings per name, never in clear.

A :class:`CredentialStore` holds, per entry name (``"token"``, ``"oauth_client"``,
``"api_key:org"``, ``"api_key:user:<id>"``, ``"password"`` …), a flat ``dict[str, str]``. Auth
strategies (:mod:`callbridge.connectors.auth`) are the only code that reads or writes token
entries; connectors never see them.

- :class:`VaultCredentialStore` seals each entry in the vault (AES-GCM envelope, Invariant 7):
  one tenant session per call, so a token refresh commits at once and is never rolled back by
  an unrelated failure later in the same job.
- :class:`MemoryCredentialStore` is for unit tests and the readiness kit's sandbox mode.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from callbridge.db.session import Database
from callbridge.errors import NotFound, VaultError
from callbridge.privacy.vault import Vault

__all__ = ["CredentialStore", "MemoryCredentialStore", "VaultCredentialStore", "VaultHolder"]


@runtime_checkable
class CredentialStore(Protocol):
    """Async get/put/delete of a small dict of strings per name."""

    async def get(self, name: str) -> dict[str, str] | None:
        """The entry, or None when nothing is stored under ``name``."""

    async def put(self, name: str, values: Mapping[str, str]) -> None:
        """Store (replace) the entry ``name``."""

    async def delete(self, name: str) -> bool:
        """Forget the entry; True when there was one."""


class VaultHolder(Protocol):
    """What :class:`VaultCredentialStore` needs of the runtime (``Runtime`` fits)."""

    @property
    def db(self) -> Database: ...

    @property
    def vault(self) -> Vault: ...


def _check(values: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"credential entries hold strings only; {key!r} is {type(value).__name__}")
        out[key] = value
    return out


class VaultCredentialStore:
    """Entries sealed in the vault under ``purpose`` for one organization."""

    def __init__(self, runtime: VaultHolder, organization_id: str, purpose: str) -> None:
        self._runtime = runtime
        self.organization_id = organization_id
        self.purpose = purpose

    def _get(self, name: str) -> dict[str, str] | None:
        with self._runtime.db.tenant(self.organization_id) as session:
            try:
                text = self._runtime.vault.get_text(session, self.purpose, name)
            except NotFound:
                return None
        try:
            loaded = json.loads(text)
        except ValueError:
            raise VaultError(
                f"The {self.purpose} credential {name!r} is not in the expected form.",
                hint="reconnect the CRM to store it again",
            ) from None
        return {str(k): str(v) for k, v in loaded.items()}

    def _put(self, name: str, values: dict[str, str]) -> None:
        with self._runtime.db.tenant(self.organization_id) as session:
            self._runtime.vault.put(session, self.purpose, name, json.dumps(values, sort_keys=True))

    def _delete(self, name: str) -> bool:
        with self._runtime.db.tenant(self.organization_id) as session:
            return self._runtime.vault.delete(session, self.purpose, name)

    async def get(self, name: str) -> dict[str, str] | None:
        return await asyncio.to_thread(self._get, name)

    async def put(self, name: str, values: Mapping[str, str]) -> None:
        await asyncio.to_thread(self._put, name, _check(values))

    async def delete(self, name: str) -> bool:
        return await asyncio.to_thread(self._delete, name)

    def __repr__(self) -> str:
        return f"VaultCredentialStore(org={self.organization_id!r}, purpose={self.purpose!r})"


class MemoryCredentialStore:
    """An in-process store for tests and sandbox runs (never for real credentials)."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._entries: dict[str, dict[str, str]] = {k: _check(v) for k, v in (entries or {}).items()}

    async def get(self, name: str) -> dict[str, str] | None:
        found = self._entries.get(name)
        return copy.deepcopy(found) if found is not None else None

    async def put(self, name: str, values: Mapping[str, str]) -> None:
        self._entries[name] = _check(values)

    async def delete(self, name: str) -> bool:
        return self._entries.pop(name, None) is not None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __repr__(self) -> str:  # never show values
        return f"MemoryCredentialStore(names={self.names()})"
