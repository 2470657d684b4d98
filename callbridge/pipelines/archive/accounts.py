"""Which RingCentral account each connection signs in to, and the pools that follow from it.

The archive is kept per RingCentral *account*: its rows and its cursors are keyed by the account
id, whichever credential listed them, so several authorised users of one account (a pool) archive
everything exactly once between them. Each run learns the account and user of every connection it
uses (``RingCentralSession.identify``) and remembers them here, sealed in the vault beside the
connection (``<connection>:account``); the schedule then starts one run per account per period
that pools its connections (one per user), and the retention watch finds a connection's cursors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.db.models import SealedSecret
from callbridge.platforms.ringcentral.factory import Identity, RingCentralSession
from callbridge.privacy.vault import Vault

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = [
    "RINGCENTRAL_PURPOSE",
    "accounts_of",
    "connection_names",
    "identities_of",
    "learn_accounts",
    "pool_of",
    "pools",
    "primary_of",
    "remember_accounts",
]

RINGCENTRAL_PURPOSE = "ringcentral"  # the vault purpose of RingCentral connections


def connection_names(session: Session) -> list[str]:
    """RingCentral connections of the session's organization."""
    names = session.scalars(
        select(SealedSecret.name).where(
            SealedSecret.purpose == RINGCENTRAL_PURPOSE, SealedSecret.name.like("%:app")
        )
    )
    return sorted(n.rsplit(":", 1)[0] for n in names)


def _name(connection: str) -> str:
    return f"{connection}:account"


def _sealed(account: str, user: str) -> str:
    return json.dumps({"account": account, "user": user}, sort_keys=True)


def remember_accounts(runtime: Runtime, organization_id: str, identity: Identity) -> None:
    """Remember each connection's own account and user (also when the pool turns out to mix
    accounts, so the next schedule groups the connections right)."""
    with runtime.db.tenant(organization_id) as session:
        for connection, account in identity.accounts.items():
            name = _name(connection)
            value = _sealed(account, identity.users.get(connection, ""))
            if not account or (
                runtime.vault.exists(session, RINGCENTRAL_PURPOSE, name)
                and runtime.vault.get_text(session, RINGCENTRAL_PURPOSE, name) == value
            ):
                continue
            runtime.vault.put(session, RINGCENTRAL_PURPOSE, name, value)


async def learn_accounts(
    runtime: Runtime, organization_id: str, rc: RingCentralSession, *, check: bool = True
) -> Identity:
    """Ask each credential of ``rc`` who it is, remember each one's account, then (``check``)
    refuse a pool of two accounts or of one user twice."""
    identity = await rc.identify(check=False)
    remember_accounts(runtime, organization_id, identity)
    if check:
        identity.check()
    return identity


def identities_of(
    session: Session, vault: Vault, names: Iterable[str] | None = None
) -> dict[str, tuple[str, str] | None]:
    """Connection → (account id, user id) (None: not learnt yet, the connection never ran)."""
    out: dict[str, tuple[str, str] | None] = {}
    for connection in connection_names(session) if names is None else names:
        name = _name(connection)
        if not vault.exists(session, RINGCENTRAL_PURPOSE, name):
            out[connection] = None
            continue
        data = json.loads(vault.get_text(session, RINGCENTRAL_PURPOSE, name))
        out[connection] = (str(data.get("account") or ""), str(data.get("user") or ""))
    return out


def accounts_of(session: Session, vault: Vault, names: Iterable[str] | None = None) -> dict[str, str | None]:
    """Connection → account id (None: not learnt yet)."""
    return {c: known[0] if known else None for c, known in identities_of(session, vault, names).items()}


def pools(session: Session, vault: Vault) -> list[list[str]]:
    """The organization's connections grouped by account, each group sorted (its first is the
    primary, whose name keys the group's scheduled runs); a connection whose account is not known
    yet is a group of its own."""
    groups: dict[str, list[str]] = {}
    for connection, account in sorted(accounts_of(session, vault).items()):
        groups.setdefault(account or f"?{connection}", []).append(connection)
    return sorted(groups.values())


def primary_of(session: Session, vault: Vault, connection: str) -> str:
    """The connection whose scheduled run archives ``connection``'s account (the first of its group)."""
    return next((group[0] for group in pools(session, vault) if connection in group), connection)


def pool_of(session: Session, vault: Vault, connection: str) -> list[str]:
    """``connection`` first, then the other connections known to sign in to the same account as
    other users (a second connection of a user already in the pool adds nothing: it is left out)."""
    known = identities_of(session, vault)
    mine = known.get(connection)
    if mine is None:
        return [connection]
    chosen, users = [connection], {mine[1]}
    for other, identity in sorted(known.items()):
        if (
            other != connection
            and identity is not None
            and identity[0] == mine[0]
            and identity[1] not in users
        ):
            chosen.append(other)
            users.add(identity[1])
    return chosen
