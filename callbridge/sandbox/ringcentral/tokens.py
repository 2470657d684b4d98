"""Sessions and tokens: issue, check, refresh with rotation and grace, revoke (reference §5)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from callbridge.clock import Clock

from .config import AuthConfig
from .errors import RCError, oauth_error, token_error

__all__ = ["AuthSession", "TokenPair", "TokenStore"]


@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    issued_at: datetime
    access_expires_at: datetime
    refresh_expires_at: datetime
    session: AuthSession
    first_used_at: datetime | None = None
    superseded_at: datetime | None = None
    successor: TokenPair | None = None


@dataclass
class AuthSession:
    id: str
    client_id: str
    extension_id: int
    scope: str
    endpoint_id: str
    public_client: bool = False
    revoked: bool = False
    pairs: list[TokenPair] = field(default_factory=list)


class TokenStore:
    def __init__(self, config: AuthConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._access: dict[str, TokenPair] = {}
        self._refresh: dict[str, TokenPair] = {}
        self.sessions: dict[str, AuthSession] = {}
        self._lock = threading.Lock()

    # -- issuing ---------------------------------------------------------------------------
    def open_session(
        self, client_id: str, extension_id: int, *, public_client: bool = False,
        access_ttl: int | None = None, refresh_ttl: int | None = None,
    ) -> TokenPair:
        session = AuthSession(
            id=secrets.token_hex(12), client_id=client_id, extension_id=extension_id,
            scope=" ".join(self.config.app_permissions), endpoint_id=secrets.token_urlsafe(16),
            public_client=public_client,
        )
        with self._lock:
            self.sessions[session.id] = session
            return self._new_pair(session, access_ttl, refresh_ttl)

    def _new_pair(
        self, session: AuthSession, access_ttl: int | None, refresh_ttl: int | None
    ) -> TokenPair:
        now = self.clock.now()
        pair = TokenPair(
            access_token="SBXA" + secrets.token_urlsafe(32),
            refresh_token="SBXR" + secrets.token_urlsafe(32),
            issued_at=now,
            access_expires_at=now + timedelta(seconds=access_ttl or self.config.access_token_ttl),
            refresh_expires_at=now
            + timedelta(seconds=refresh_ttl or self.config.refresh_token_ttl),
            session=session,
        )
        session.pairs.append(pair)
        self._access[pair.access_token] = pair
        self._refresh[pair.refresh_token] = pair
        return pair

    # -- checking --------------------------------------------------------------------------
    def authenticate(self, access_token: str) -> TokenPair:
        """The pair behind a bearer token, or the 401 RingCentral answers (reference §5)."""
        now = self.clock.now()
        with self._lock:
            pair = self._access.get(access_token)
            if pair is None or pair.session.revoked:
                raise token_error("OAU-213", "Token not found")
            if pair.superseded_at is not None:
                age = (now - pair.superseded_at).total_seconds()
                if age < self.config.old_access_corrupted_seconds:
                    raise token_error("OAU-129", "Access token corrupted")
                raise token_error("OAU-213", "Token not found")
            if now >= pair.access_expires_at:
                raise token_error("OAU-128", "Access token expired")
            if pair.first_used_at is None:
                pair.first_used_at = now
            return pair

    def refresh_owner(self, refresh_token: str) -> AuthSession | None:
        pair = self._refresh.get(refresh_token)
        return pair.session if pair else None

    def refresh(self, refresh_token: str, client_id: str) -> TokenPair:
        """Rotate: a new pair; the old refresh token returns that same pair during the grace."""
        now = self.clock.now()
        with self._lock:
            pair = self._refresh.get(refresh_token)
            if pair is None or pair.session.revoked or pair.session.client_id != client_id:
                # (unverified) code and wording for an unknown or revoked refresh token
                raise oauth_error(400, "invalid_grant", "OAU-211", "Token is revoked")
            if now >= pair.refresh_expires_at:
                raise oauth_error(400, "invalid_grant", "OAU-210", "Token expired")
            successor = pair.successor
            if successor is not None:
                assert pair.superseded_at is not None
                if successor.first_used_at is None:
                    in_grace = now - pair.superseded_at <= timedelta(
                        seconds=self.config.refresh_unused_grace_seconds
                    )
                else:
                    in_grace = now - successor.first_used_at <= timedelta(
                        seconds=self.config.refresh_grace_seconds
                    )
                if in_grace and successor.successor is None and not successor.session.revoked:
                    return successor
                raise oauth_error(400, "invalid_grant", "OAU-211", "Token is revoked")
            new = self._new_pair(pair.session, None, None)
            pair.superseded_at = now
            pair.successor = new
            return new

    # -- revoking --------------------------------------------------------------------------
    def revoke(self, token: str) -> bool:
        """End the whole session of an access or refresh token; False when unknown."""
        with self._lock:
            pair = self._access.get(token) or self._refresh.get(token)
            if pair is None:
                return False
            pair.session.revoked = True
            return True

    def revoke_all(self, extension_id: int | None = None) -> int:
        """Fault injection: revoke every session (of one extension); returns how many."""
        count = 0
        with self._lock:
            for session in self.sessions.values():
                if not session.revoked and extension_id in (None, session.extension_id):
                    session.revoked = True
                    count += 1
        return count

    def expire_access_tokens(self) -> int:
        """Fault injection: make every live access token expired now."""
        now = self.clock.now()
        with self._lock:
            for pair in self._access.values():
                pair.access_expires_at = min(pair.access_expires_at, now)
            return len(self._access)


def check_error(exc: RCError) -> str:
    """The inner error code of an RCError (handy in tests and logs)."""
    errors = exc.body.get("errors") or [{}]
    return str(errors[0].get("errorCode", ""))
