"""A RingCentral connection of an organization: app credentials and tokens, sealed in the vault."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from callbridge.db.session import Database
from callbridge.errors import InvalidInput
from callbridge.platforms.ringcentral.auth import AppCredentials, TokenSet
from callbridge.platforms.ringcentral.errors import RECONNECT, AuthExpired
from callbridge.privacy.vault import Vault

__all__ = ["Connection", "VaultTokenStore", "load_connection", "save_connection"]

PURPOSE = "ringcentral"


@dataclass(frozen=True)
class Connection:
    name: str
    server_url: str
    media_url: str | None
    app: AppCredentials

    @property
    def hosts(self) -> set[str]:
        """Hosts that may receive our bearer token (API and media host)."""
        return {urlsplit(u).netloc for u in (self.server_url, self.media_url) if u}


def _check_url(value: str, field: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput(
            f"{field}={value!r} is not an http(s) URL.",
            field=field,
            hint="use https://platform.ringcentral.com (or the sandbox's address)",
        )
    return value.rstrip("/")


def save_connection(session: Session, vault: Vault, connection: Connection) -> None:
    server = _check_url(connection.server_url, "server_url")
    media = _check_url(connection.media_url, "media_url") if connection.media_url else None
    if not connection.app.client_id:
        raise InvalidInput("client_id is empty.", field="client_id", hint="copy it from the RingCentral app")
    body = {
        "server_url": server,
        "media_url": media,
        "client_id": connection.app.client_id,
        "client_secret": connection.app.client_secret,
        "jwt": connection.app.jwt,
    }
    vault.put(session, PURPOSE, f"{connection.name}:app", json.dumps(body))


def load_connection(session: Session, vault: Vault, name: str = "default") -> Connection:
    if not vault.exists(session, PURPOSE, f"{name}:app"):
        raise AuthExpired(
            f"No RingCentral connection named {name!r} in this organization.",
            field="connection",
            hint=RECONNECT,
        )
    data = json.loads(vault.get_text(session, PURPOSE, f"{name}:app"))
    return Connection(
        name=name,
        server_url=data["server_url"],
        media_url=data.get("media_url"),
        app=AppCredentials(data["client_id"], data.get("client_secret"), data.get("jwt")),
    )


class VaultTokenStore:
    """Tokens of one connection, sealed in the vault; each load/save is its own short transaction."""

    def __init__(self, db: Database, vault: Vault, organization_id: str, connection: str) -> None:
        self.db = db
        self.vault = vault
        self.organization_id = organization_id
        self.name = f"{connection}:tokens"

    def load(self) -> TokenSet | None:
        with self.db.tenant(self.organization_id) as session:
            if not self.vault.exists(session, PURPOSE, self.name):
                return None
            return TokenSet.from_json(self.vault.get_text(session, PURPOSE, self.name))

    def save(self, tokens: TokenSet) -> None:
        with self.db.tenant(self.organization_id) as session:
            self.vault.put(session, PURPOSE, self.name, tokens.to_json())

    def clear(self) -> None:
        with self.db.tenant(self.organization_id) as session:
            self.vault.delete(session, PURPOSE, self.name)
