"""OAuth clients, authorization codes, access and refresh tokens, and static API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callbridge.clock import Clock
from callbridge.sandbox.crm._kit import pkce

CODE_TTL = timedelta(minutes=10)


class OAuthFailure(Exception):
    """A token-endpoint refusal; ``code`` is an RFC 6749 error code."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


@dataclass
class AccessGrant:
    """One access token (an OAuth token or a static key) and what it may do."""

    token: str
    user_id: str
    scopes: set[str]
    kind: str  # "oauth" or "static"
    client_id: str | None
    issued_at: datetime
    expires_at: datetime | None
    refresh_token: str | None = None
    sliding: timedelta | None = None  # session timeout renewed by use (Salesforce)
    revoked: bool = False
    last_used: datetime | None = None

    def has_scope(self, scope: str | None) -> bool:
        return scope is None or "*" in self.scopes or scope in self.scopes


@dataclass
class RefreshGrant:
    token: str
    user_id: str
    scopes: set[str]
    client_id: str
    expires_at: datetime | None
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str | None
    scopes: set[str]
    user_id: str
    challenge: str | None
    method: str | None
    expires_at: datetime
    used: bool = False


@dataclass
class Lookup:
    """Result of checking a presented token: a grant, or why there is none."""

    grant: AccessGrant | None
    problem: str | None  # "missing", "unknown", "expired", "revoked"


@dataclass
class TokenStore:
    """Every credential a sandbox knows, checked against the injected clock."""

    clock: Clock
    clients: dict[str, str | None] = field(default_factory=dict)
    prefix: str = "tok"
    access: dict[str, AccessGrant] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)
    codes: dict[str, AuthCode] = field(default_factory=dict)

    def _new(self, kind: str) -> str:
        return f"{self.prefix}-{kind}-{secrets.token_urlsafe(18)}"

    # -- clients and codes ---------------------------------------------------------------
    def check_client(self, client_id: str | None, secret: str | None, *, need_secret: bool) -> None:
        """Raise ``invalid_client`` unless the client exists and (when asked) its secret fits."""
        if not client_id or client_id not in self.clients:
            raise OAuthFailure("invalid_client", f"unknown client_id {client_id!r}")
        expected = self.clients[client_id]
        if need_secret and expected is not None and secret != expected:
            raise OAuthFailure("invalid_client", "client secret does not match")

    def issue_code(
        self, *, client_id: str, redirect_uri: str | None, scopes: set[str], user_id: str,
        challenge: str | None, method: str | None,
    ) -> str:
        code = self._new("code")
        self.codes[code] = AuthCode(code, client_id, redirect_uri, set(scopes), user_id,
                                    challenge, method, self.clock.now() + CODE_TTL)
        return code

    def redeem_code(
        self, code: str | None, *, client_id: str | None, redirect_uri: str | None,
        verifier: str | None,
    ) -> AuthCode:
        """Consume an authorization code, checking expiry, client, redirect URI and PKCE."""
        found = self.codes.get(code or "")
        if found is None or found.used:
            raise OAuthFailure("invalid_grant", "authorization code is unknown or already used")
        if self.clock.now() >= found.expires_at:
            raise OAuthFailure("invalid_grant", "authorization code expired")
        if client_id and client_id != found.client_id:
            raise OAuthFailure("invalid_grant", "authorization code was issued to another client")
        if found.redirect_uri and redirect_uri != found.redirect_uri:
            raise OAuthFailure("invalid_grant", "redirect_uri does not match the authorize call")
        if not pkce.verify(verifier, found.challenge, found.method):
            raise OAuthFailure("invalid_grant", "invalid code verifier")
        found.used = True
        return found

    # -- tokens --------------------------------------------------------------------------
    def issue(
        self, *, user_id: str, client_id: str, scopes: set[str], ttl: timedelta | None,
        with_refresh: bool = True, refresh_ttl: timedelta | None = None,
        refresh_token: str | None = None, sliding: bool = False,
    ) -> AccessGrant:
        """Mint an OAuth access token (and a refresh token unless one is reused)."""
        now = self.clock.now()
        rt = refresh_token
        if with_refresh and rt is None:
            rt = self._new("refresh")
            self.refresh[rt] = RefreshGrant(rt, user_id, set(scopes), client_id,
                                            now + refresh_ttl if refresh_ttl else None)
        grant = AccessGrant(
            token=self._new("access"), user_id=user_id, scopes=set(scopes), kind="oauth",
            client_id=client_id, issued_at=now, expires_at=now + ttl if ttl else None,
            refresh_token=rt, sliding=ttl if sliding else None, last_used=now,
        )
        self.access[grant.token] = grant
        return grant

    def add_static(self, token: str, user_id: str, scopes: set[str]) -> AccessGrant:
        """Register a key that never expires (private-app token, API token, API key)."""
        grant = AccessGrant(token, user_id, set(scopes), "static", None, self.clock.now(), None)
        self.access[token] = grant
        return grant

    def use_refresh(self, token: str | None, client_id: str | None) -> RefreshGrant:
        """Check a refresh token; raise ``invalid_grant`` when it cannot be used."""
        found = self.refresh.get(token or "")
        if found is None or found.revoked:
            raise OAuthFailure("invalid_grant", "refresh token is unknown or revoked")
        if found.expires_at and self.clock.now() >= found.expires_at:
            raise OAuthFailure("invalid_grant", "expired access/refresh token")
        if client_id and client_id != found.client_id:
            raise OAuthFailure("invalid_grant", "refresh token was issued to another client")
        return found

    def lookup(self, token: str | None) -> Lookup:
        """Find a token and say whether it is usable now; renews sliding sessions."""
        if not token:
            return Lookup(None, "missing")
        grant = self.access.get(token)
        if grant is None:
            return Lookup(None, "unknown")
        if grant.revoked:
            return Lookup(grant, "revoked")
        now = self.clock.now()
        if grant.expires_at is not None and now >= grant.expires_at:
            return Lookup(grant, "expired")
        if grant.sliding is not None:
            grant.expires_at = now + grant.sliding
        grant.last_used = now
        return Lookup(grant, None)

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token; a refresh token takes its access tokens along."""
        hit = False
        if token in self.access:
            self.access[token].revoked = True
            hit = True
        if token in self.refresh:
            self.refresh[token].revoked = True
            for grant in self.access.values():
                if grant.refresh_token == token:
                    grant.revoked = True
            hit = True
        return hit

    def revoke_user_tokens(self, user_id: str, client_id: str | None) -> int:
        """Revoke every OAuth token of one user for one client (a deauthorization)."""
        count = 0
        for grant in self.access.values():
            if grant.kind == "oauth" and grant.user_id == user_id and (
                client_id is None or grant.client_id == client_id
            ):
                grant.revoked = True
                count += 1
        for rgrant in self.refresh.values():
            if rgrant.user_id == user_id and (client_id is None or rgrant.client_id == client_id):
                rgrant.revoked = True
        return count

    def expire_all(self) -> int:
        """Make every expiring (OAuth) access token expired now; refresh tokens stay valid."""
        now = self.clock.now()
        count = 0
        for grant in self.access.values():
            if grant.kind == "oauth" and not grant.revoked:
                grant.expires_at = now
                grant.sliding = None
                count += 1
        return count

    def set_scopes(self, token: str, scopes: set[str]) -> None:
        """Change what a token may do (for permission-error tests)."""
        if token not in self.access:
            raise KeyError(f"no such access token: {token[:12]}…")
        self.access[token].scopes = set(scopes)
