"""Auth strategies for the four auth kinds; tokens live only in a :class:`CredentialStore`.

A strategy answers three questions for :class:`callbridge.connectors.http.CrmClient`:
``authorize()`` (the headers/params of the next request), ``refresh(failed)`` (after a 401: get
a new credential once; False when there is nothing to refresh) and ``revoke()`` (disconnect).

    OAuth2          authorization code + PKCE with callbridge's registered client app;
                    refresh before ``expires_at`` and once after a 401, then AuthExpired
    OAuth2 (admin)  the same with the organization's own client app, read from the store entry
                    ``oauth_client`` ({client_id, client_secret}): ``OAuth2.admin_managed(...)``
    ApiKeyAuth      a key per user (``api_key:user:<id>``) or one admin-managed key shared by
                    the organization (``api_key:org``); the first entry found is used
    PasswordAuth    legacy username/password: an OAuth password grant (Salesforce) or HTTP
                    Basic; a 401 logs in again once

Store entries: ``token`` {access_token, refresh_token?, expires_at?, <kept extras>},
``oauth_client``, ``api_key:*`` {api_key}, ``password`` {username, password}.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import urlencode

import httpx

from callbridge.clock import Clock
from callbridge.connectors.base import AuthExpired, AuthKind, Unavailable
from callbridge.connectors.credentials import CredentialStore
from callbridge.http.client import HttpClient, TransportFailure

__all__ = [
    "ApiKeyAuth",
    "Auth",
    "Authorization",
    "ClientApp",
    "OAuth2",
    "OAuthEndpoints",
    "PasswordAuth",
    "PendingAuthorization",
    "pkce_challenge",
]

TOKEN = "token"  # noqa: S105 - a store entry name
OAUTH_CLIENT = "oauth_client"
PASSWORD = "password"  # noqa: S105 - a store entry name


@dataclass(frozen=True, repr=False)
class Authorization:
    """What to add to the next request; ``token`` tells a refresh which credential failed."""

    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    token: str = ""

    def __repr__(self) -> str:
        return f"Authorization(headers={sorted(self.headers)}, params={sorted(self.params)})"


class Auth(Protocol):
    """One connection's credentials, as a connector's HTTP client uses them."""

    crm: str
    kind: AuthKind

    async def authorize(self) -> Authorization:
        """Headers/params for the next request; raise AuthExpired when not connected."""

    async def refresh(self, failed: Authorization) -> bool:
        """After a 401: obtain a new credential (once). False when nothing can be refreshed."""

    async def extras(self) -> dict[str, str]:
        """Non-secret facts kept from the token answer (``instance_url``, ``api_domain`` …)."""

    async def revoke(self) -> None:
        """Revoke at the CRM where the CRM offers it (RFC 7009), then forget the credentials."""

    async def forget(self) -> None:
        """Delete the stored credentials of this connection."""


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class OAuthEndpoints:
    """A CRM's OAuth endpoints and habits."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    revoke_url: str | None = None  # RFC 7009 form POST ``token=…``; None: the connector revokes
    client_auth: Literal["post", "basic"] = "post"
    keep: tuple[str, ...] = ("instance_url", "api_domain", "scope", "id")
    refresh_margin: timedelta = timedelta(seconds=60)
    default_ttl: timedelta | None = None  # when the CRM sends no ``expires_in``


@dataclass(frozen=True, repr=False)
class ClientApp:
    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"ClientApp({self.client_id!r})"


@dataclass(frozen=True, repr=False)
class PendingAuthorization:
    """Where to send the person, and what the callback needs (keep ``code_verifier`` server-side)."""

    url: str
    state: str
    code_verifier: str
    redirect_uri: str

    def __repr__(self) -> str:
        return f"PendingAuthorization(state={self.state!r})"


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error", "status", "category"):
            if isinstance(body.get(key), str):
                return str(body[key])[:60]
    return f"HTTP {response.status_code}"


class _TokenAuth:
    """Shared by OAuth2 and PasswordAuth: a bearer token entry with refresh/re-login."""

    kind: AuthKind

    def __init__(self, crm: str, store: CredentialStore, http: HttpClient, clock: Clock,
                 keep: tuple[str, ...], margin: timedelta, default_ttl: timedelta | None) -> None:
        self.crm = crm
        self.store = store
        self.http = http
        self.clock = clock
        self._keep = keep
        self._margin = margin
        self._default_ttl = default_ttl
        self._lock = asyncio.Lock()
        self.refreshes = 0

    async def _token(self) -> dict[str, str]:
        token = await self.store.get(TOKEN)
        if not token or not token.get("access_token"):
            raise AuthExpired(self.crm, "callbridge is not connected to this account (no stored token).",
                              hint=f"connect {self.crm} in callbridge (callbridge connect)")
        return token

    def _expired(self, token: Mapping[str, str]) -> bool:
        stamp = token.get("expires_at")
        if not stamp:
            return False
        return self.clock.now() >= datetime.fromisoformat(stamp) - self._margin

    async def authorize(self) -> Authorization:
        token = await self._token()
        if self._expired(token) and await self._renew(token.get("access_token", "")):
            token = await self._token()
        access = token["access_token"]
        return Authorization({"Authorization": f"Bearer {access}"}, {}, access)

    async def refresh(self, failed: Authorization) -> bool:
        return await self._renew(failed.token)

    async def _renew(self, failed_token: str) -> bool:
        async with self._lock:
            current = await self.store.get(TOKEN) or {}
            if current.get("access_token") and current.get("access_token") != failed_token:
                return True  # another request refreshed meanwhile
            form = await self._renew_form(current)
            if form is None:
                return False
            await self._request_token(form, previous=current)
            self.refreshes += 1
            return True

    async def _renew_form(self, current: Mapping[str, str]) -> dict[str, str] | None:
        raise NotImplementedError

    async def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        return {}

    async def _request_token(self, form: dict[str, str], previous: Mapping[str, str] | None = None) -> None:
        headers = await self._client_auth(form)
        try:
            response = await self.http.post(self._token_url(), data=form, headers=headers)
        except TransportFailure as exc:
            raise Unavailable(self.crm, "the sign-in service could not be reached.",
                              hint="callbridge retries later; check the network") from exc
        if response.status_code >= 500:
            raise Unavailable(self.crm, f"the sign-in service failed (HTTP {response.status_code}).",
                              hint="callbridge retries later; check the CRM's status page")
        if response.status_code != 200:
            grant = form.get("grant_type", "")
            raise AuthExpired(
                self.crm,
                f"refused the sign-in ({grant} grant: {_error_code(response)}); the stored "
                "credentials are no longer accepted.",
                hint=f"reconnect {self.crm} in callbridge (callbridge connect)",
            )
        body = response.json()
        await self.store.put(TOKEN, self._entry(body, previous or {}))

    def _token_url(self) -> str:
        raise NotImplementedError

    def _entry(self, body: Mapping[str, object], previous: Mapping[str, str]) -> dict[str, str]:
        entry = {"access_token": str(body["access_token"])}
        refresh = body.get("refresh_token") or previous.get("refresh_token")
        if refresh:
            entry["refresh_token"] = str(refresh)
        expires_in = body.get("expires_in")
        ttl = timedelta(seconds=float(str(expires_in))) if expires_in else self._default_ttl
        if ttl is not None:
            entry["expires_at"] = (self.clock.now() + ttl).isoformat()
        for key in self._keep:
            value = body.get(key, previous.get(key))
            if value is not None:
                entry[key] = str(value)
        return entry

    async def extras(self) -> dict[str, str]:
        token = await self.store.get(TOKEN) or {}
        return {k: v for k, v in token.items() if k in self._keep}

    async def forget(self) -> None:
        await self.store.delete(TOKEN)


class OAuth2(_TokenAuth):
    """Authorization code + PKCE; ``client`` None means admin-managed (the org's own app)."""

    def __init__(self, crm: str, endpoints: OAuthEndpoints, store: CredentialStore, http: HttpClient,
                 clock: Clock, client: ClientApp | None = None) -> None:
        super().__init__(crm, store, http, clock, endpoints.keep, endpoints.refresh_margin,
                         endpoints.default_ttl)
        self.endpoints = endpoints
        self._client = client
        self.kind = AuthKind.oauth if client is not None else AuthKind.admin_oauth

    @classmethod
    def admin_managed(cls, crm: str, endpoints: OAuthEndpoints, store: CredentialStore,
                      http: HttpClient, clock: Clock) -> OAuth2:
        """The organization's own client app, read from the store entry ``oauth_client``."""
        return cls(crm, endpoints, store, http, clock, client=None)

    async def client(self) -> ClientApp:
        if self._client is not None:
            return self._client
        entry = await self.store.get(OAUTH_CLIENT)
        if not entry or not entry.get("client_id"):
            raise AuthExpired(self.crm, "no OAuth client app is configured for this organization.",
                              hint=f"an admin enters the {self.crm} app's client id and secret "
                              "in callbridge (admin-managed OAuth)")
        return ClientApp(entry["client_id"], entry.get("client_secret", ""))

    async def begin(self, redirect_uri: str, state: str | None = None,
                    extra: Mapping[str, str] | None = None) -> PendingAuthorization:
        """The authorize URL with a fresh PKCE verifier and state."""
        client = await self.client()
        verifier = secrets.token_urlsafe(48)
        state = state or secrets.token_urlsafe(16)
        query = {"response_type": "code", "client_id": client.client_id, "redirect_uri": redirect_uri,
                 "state": state, "code_challenge": pkce_challenge(verifier),
                 "code_challenge_method": "S256"}
        if self.endpoints.scopes:
            query["scope"] = " ".join(self.endpoints.scopes)
        query.update(extra or {})
        joiner = "&" if "?" in self.endpoints.authorize_url else "?"
        return PendingAuthorization(f"{self.endpoints.authorize_url}{joiner}{urlencode(query)}",
                                    state, verifier, redirect_uri)

    async def complete(self, pending: PendingAuthorization, code: str, state: str | None = None) -> None:
        """Exchange the callback's code (checking ``state``) and store the token."""
        if state is not None and not secrets.compare_digest(state, pending.state):
            raise AuthExpired(self.crm, "the sign-in answer does not belong to this sign-in (state differs).",
                              hint="start connecting again")
        client = await self.client()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier, "client_id": client.client_id}
        await self._request_token(form)

    async def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        client = await self.client()
        if self.endpoints.client_auth == "basic":
            pair = f"{client.client_id}:{client.client_secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        form["client_id"] = client.client_id
        form["client_secret"] = client.client_secret
        return {}

    def _token_url(self) -> str:
        return self.endpoints.token_url

    async def _renew_form(self, current: Mapping[str, str]) -> dict[str, str] | None:
        refresh = current.get("refresh_token")
        if not refresh:
            return None
        return {"grant_type": "refresh_token", "refresh_token": refresh}

    async def revoke(self) -> None:
        token = await self.store.get(TOKEN) or {}
        target = token.get("refresh_token") or token.get("access_token")
        if self.endpoints.revoke_url and target:
            try:
                answer = await self.http.post(self.endpoints.revoke_url, data={"token": target})
            except TransportFailure as exc:
                raise Unavailable(self.crm, "could not be reached to revoke the token.",
                                  hint="try disconnecting again later") from exc
            # RFC 7009: 200 also for an unknown or already revoked token; 5xx/429 mean "not done"
            if answer.status_code >= 500 or answer.status_code == 429:
                raise Unavailable(self.crm, f"answered {answer.status_code} to the token revocation.",
                                  hint="try disconnecting again later, or revoke the app in the CRM")
        await self.forget()


class PasswordAuth(_TokenAuth):
    """Legacy username/password: an OAuth password grant (``token_url``) or HTTP Basic."""

    kind = AuthKind.password

    def __init__(self, crm: str, store: CredentialStore, http: HttpClient, clock: Clock, *,
                 token_url: str | None = None, client: ClientApp | None = None,
                 keep: tuple[str, ...] = ("instance_url", "id"),
                 default_ttl: timedelta | None = None) -> None:
        super().__init__(crm, store, http, clock, keep, timedelta(seconds=60), default_ttl)
        self._url = token_url
        self._client = client

    async def _login(self) -> dict[str, str]:
        entry = await self.store.get(PASSWORD)
        if not entry or not entry.get("username"):
            raise AuthExpired(self.crm, "no username and password are stored for this connection.",
                              hint=f"connect {self.crm} again with a username and password")
        return entry

    async def authorize(self) -> Authorization:
        if self._url is None:
            login = await self._login()
            pair = f"{login['username']}:{login.get('password', '')}".encode()
            return Authorization({"Authorization": "Basic " + base64.b64encode(pair).decode()})
        if not (await self.store.get(TOKEN) or {}).get("access_token"):
            await self._request_token(await self._password_form())
        return await super().authorize()

    async def _password_form(self) -> dict[str, str]:
        login = await self._login()
        form = {"grant_type": "password", "username": login["username"],
                "password": login.get("password", "") + login.get("security_token", "")}
        client = self._client
        if client is None:  # no app wired for this process: the organization's own, from the vault
            entry = await self.store.get(OAUTH_CLIENT)
            if entry and entry.get("client_id"):
                client = ClientApp(entry["client_id"], entry.get("client_secret", ""))
        if client is not None:
            form.update(client_id=client.client_id, client_secret=client.client_secret)
        return form

    def _token_url(self) -> str:
        assert self._url is not None
        return self._url

    async def _renew_form(self, current: Mapping[str, str]) -> dict[str, str] | None:
        if self._url is None:
            return None
        return await self._password_form()

    async def revoke(self) -> None:
        await self.forget()

    async def forget(self) -> None:
        await self.store.delete(TOKEN)
        await self.store.delete(PASSWORD)


class ApiKeyAuth:
    """An API key: per user, or one admin-managed key shared across the organization."""

    kind = AuthKind.api_key

    def __init__(self, crm: str, store: CredentialStore, *, user_id: str | None = None,
                 header: str | None = "Authorization", scheme: str | None = "Bearer",
                 query_param: str | None = None) -> None:
        self.crm = crm
        self.store = store
        self.names = ([f"api_key:user:{user_id}"] if user_id else []) + ["api_key:org"]
        self._header = header
        self._scheme = scheme
        self._param = query_param

    async def _key(self) -> tuple[str, str]:
        for name in self.names:
            entry = await self.store.get(name)
            if entry and entry.get("api_key"):
                return name, entry["api_key"]
        raise AuthExpired(self.crm, "no API key is stored for this connection.",
                          hint=f"enter a {self.crm} API key in callbridge (per user, or an "
                          "admin-managed key for the organization)")

    async def authorize(self) -> Authorization:
        _, key = await self._key()
        headers: dict[str, str] = {}
        params: dict[str, str] = {}
        if self._header:
            headers[self._header] = f"{self._scheme} {key}" if self._scheme else key
        if self._param:
            params[self._param] = key
        return Authorization(headers, params, key)

    async def refresh(self, failed: Authorization) -> bool:
        return False  # a key cannot be refreshed; the caller raises AuthExpired

    async def extras(self) -> dict[str, str]:
        return {}

    async def revoke(self) -> None:
        await self.forget()

    async def forget(self) -> None:
        """Forget this user's own key; the organization's shared key only on an org connection."""
        await self.store.delete(self.names[0])
