"""The manifest's ``auth`` templates over a credential strategy: the connector never sees a key.

:class:`ManifestAuth` wraps one of :mod:`callbridge.connectors.auth`'s strategies (which alone
reads the store) and renders the manifest's ``auth.headers``/``auth.query`` with
``credentials.api_key``/``credentials.access_token`` set to the strategy's credential.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callbridge.connectors.auth import Auth, Authorization
from callbridge.connectors.base import AuthKind, InvalidInput
from callbridge.connectors.proxy.templates import ABSENT, TemplateProblem, render_value

__all__ = ["ManifestAuth"]


class ManifestAuth:
    """An :class:`Auth` whose headers come from the manifest's templates."""

    def __init__(self, inner: Auth, headers: Any, query: Any, settings: Mapping[str, str],
                 crm: str) -> None:
        self.inner = inner
        self.crm = crm
        self.kind: AuthKind = inner.kind
        self._headers = headers
        self._query = query
        self._settings = settings

    async def authorize(self) -> Authorization:
        granted = await self.inner.authorize()
        context = {"settings": self._settings,
                   "credentials": {"api_key": granted.token, "access_token": granted.token}}
        try:
            headers = render_value(self._headers, context)
            params = render_value(self._query, context)
        except TemplateProblem as exc:
            raise InvalidInput(self.crm, f"the manifest's auth templates failed: {exc}.",
                               hint="fix auth.headers / auth.query in the manifest") from None
        return Authorization({k: str(v) for k, v in headers.items() if v is not ABSENT},
                             {k: str(v) for k, v in params.items() if v is not ABSENT},
                             granted.token)

    async def refresh(self, failed: Authorization) -> bool:
        return await self.inner.refresh(failed)

    async def extras(self) -> dict[str, str]:
        return await self.inner.extras()

    async def revoke(self) -> None:
        await self.inner.revoke()

    async def forget(self) -> None:
        await self.inner.forget()
