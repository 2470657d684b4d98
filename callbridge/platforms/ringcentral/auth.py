"""RingCentral OAuth: JWT bearer grant, authorization code + PKCE, refresh with rotation.

Tokens live only in the vault (through a :class:`TokenStore`). The access token is refreshed a
margin before it expires; the rotated refresh token is saved before the new access token is
used. ``invalid_grant`` (or a 401 that a refresh cannot cure) raises :class:`AuthExpired`, which
pauses the connection until an admin reconnects.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

from callbridge.clock import Clock, utc
from callbridge.http.client import HttpClient
from callbridge.platforms.ringcentral.errors import RECONNECT, AuthExpired, error_from_response

__all__ = [
    "JWT_GRANT",
    "AppCredentials",
    "Pkce",
    "RingCentralAuth",
    "TokenSet",
    "TokenStore",
]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/restapi/oauth/token"  # noqa: S105 — a path, not a secret


@dataclass(frozen=True)
class AppCredentials:
    """The RingCentral app (client id/secret) and, for server-to-server use, a JWT credential."""

    client_id: str
    client_secret: str | None = None
    jwt: str | None = None

    def __repr__(self) -> str:  # never show the secret or the JWT
        return f"AppCredentials(client_id={self.client_id!r}, client_secret=***, jwt=***)"


@dataclass
class TokenSet:
    access_token: str
    access_expires_at: datetime
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    owner_id: str | None = None

    def __repr__(self) -> str:
        return f"TokenSet(expires={self.access_expires_at.isoformat()}, owner=***)"

    def to_json(self) -> str:
        data: dict[str, Any] = asdict(self)
        data["access_expires_at"] = self.access_expires_at.isoformat()
        data["refresh_expires_at"] = self.refresh_expires_at.isoformat() if self.refresh_expires_at else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        return cls(
            access_token=data["access_token"],
            access_expires_at=utc(datetime.fromisoformat(data["access_expires_at"])),
            refresh_token=data.get("refresh_token"),
            refresh_expires_at=(
                utc(datetime.fromisoformat(data["refresh_expires_at"]))
                if data.get("refresh_expires_at")
                else None
            ),
            owner_id=data.get("owner_id"),
        )


class TokenStore(Protocol):
    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...

    def clear(self) -> None: ...


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode())


class RingCentralAuth:
    def __init__(
        self,
        http: HttpClient,
        app: AppCredentials,
        store: TokenStore,
        clock: Clock,
        *,
        server_url: str,
        refresh_margin: timedelta = timedelta(minutes=5),
    ) -> None:
        self.http = http
        self.app = app
        self.store = store
        self.clock = clock
        self.server_url = server_url.rstrip("/")
        self.refresh_margin = refresh_margin
        self._lock = asyncio.Lock()
        self._stale: str | None = None

    # -- the one call everything else uses -------------------------------------------------
    async def access_token(self) -> str:
        """A valid access token: refreshed before expiry, re-obtained by JWT where possible."""
        async with self._lock:
            tokens = self.store.load()
            now = self.clock.now()
            if (
                tokens is not None
                and tokens.access_token != self._stale
                and tokens.access_expires_at - self.refresh_margin > now
            ):
                return tokens.access_token
            if (
                tokens is not None
                and tokens.refresh_token
                and (tokens.refresh_expires_at is None or tokens.refresh_expires_at > now)
            ):
                try:
                    return (await self._refresh(tokens.refresh_token)).access_token
                except AuthExpired:
                    if not self.app.jwt:
                        raise
            if self.app.jwt:
                return (await self.login_jwt()).access_token
            raise AuthExpired(
                "RingCentral is not connected, or its authorization has expired.", hint=RECONNECT
            )

    def invalidate(self, access_token: str) -> None:
        """The server refused ``access_token`` (401): refresh before the next request."""
        self._stale = access_token

    # -- grants ----------------------------------------------------------------------------
    async def login_jwt(self) -> TokenSet:
        if not self.app.jwt:
            raise AuthExpired("No JWT credential is configured for RingCentral.", field="jwt", hint=RECONNECT)
        return await self._token({"grant_type": JWT_GRANT, "assertion": self.app.jwt}, "the JWT sign-in")

    def authorization_url(self, redirect_uri: str, state: str) -> tuple[str, Pkce]:
        pkce = Pkce.new()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app.client_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "code_challenge": pkce.challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.server_url}/restapi/oauth/authorize?{query}", pkce

    async def exchange_code(self, code: str, verifier: str, redirect_uri: str) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        return await self._token(form, "the authorization code")

    async def refresh(self) -> TokenSet:
        async with self._lock:
            tokens = self.store.load()
            if tokens is None or not tokens.refresh_token:
                raise AuthExpired("There is no RingCentral refresh token to use.", hint=RECONNECT)
            return await self._refresh(tokens.refresh_token)

    async def _refresh(self, refresh_token: str) -> TokenSet:
        return await self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, "the token refresh"
        )

    async def revoke(self) -> None:
        tokens = self.store.load()
        if tokens is not None:
            await self.http.post(
                f"{self.server_url}/restapi/oauth/revoke",
                data={"token": tokens.access_token},
                auth=self._basic(),
                retry_unsafe=True,
            )
        self.store.clear()

    def _basic(self) -> tuple[str, str] | None:
        return (self.app.client_id, self.app.client_secret) if self.app.client_secret else None

    async def _token(self, form: dict[str, str], what: str) -> TokenSet:
        if not self.app.client_secret:
            form = {**form, "client_id": self.app.client_id}
        response = await self.http.post(f"{self.server_url}{TOKEN_PATH}", data=form, auth=self._basic())
        if response.status_code != 200:
            raise error_from_response(response, what)
        data = response.json()
        now = self.clock.now()
        refresh_in = data.get("refresh_token_expires_in")
        tokens = TokenSet(
            access_token=data["access_token"],
            access_expires_at=now + timedelta(seconds=int(data.get("expires_in", 3600))),
            refresh_token=data.get("refresh_token"),
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
            owner_id=str(data["owner_id"]) if data.get("owner_id") is not None else None,
        )
        self.store.save(tokens)  # the rotated refresh token is saved before anything uses the pair
        self._stale = None
        return tokens
