"""The vault: credentials sealed with AES-GCM envelope encryption under a rotating key ring.

Each secret gets its own random data key. The value is sealed with the data key; the data key is
wrapped with the key ring's primary key. Both seals carry associated data naming the tenant, the
purpose and the name, so a ciphertext copied onto another row or tenant fails to open.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbridge.clock import Clock
from callbridge.db.models import SealedSecret
from callbridge.db.session import scope_of
from callbridge.errors import ConfigError, NotFound, VaultError

__all__ = ["KeyRing", "RingKey", "Vault"]

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT = b"cb1"


@dataclass(frozen=True, repr=False)
class RingKey:
    key_id: str
    material: bytes

    def __repr__(self) -> str:  # never show key material
        return f"RingKey({self.key_id!r})"


class KeyRing:
    """Ordered keys; the last one is the primary that seals new secrets."""

    def __init__(self, keys: Sequence[RingKey]) -> None:
        if not keys:
            raise ConfigError("The key ring is empty.", field="keys", hint="run 'callbridge keys init'")
        ids = [k.key_id for k in keys]
        if len(set(ids)) != len(ids):
            raise ConfigError(f"The key ring repeats a key id: {ids}.", field="keys")
        for key in keys:
            if len(key.material) != KEY_BYTES:
                raise ConfigError(
                    f"Key {key.key_id!r} is {len(key.material)} bytes; keys are {KEY_BYTES} bytes.",
                    field="keys",
                    hint="create keys with 'callbridge keys init' or 'callbridge keys rotate'",
                )
        self._keys = {k.key_id: k for k in keys}
        self._order = ids

    @property
    def primary(self) -> RingKey:
        return self._keys[self._order[-1]]

    @property
    def key_ids(self) -> list[str]:
        return list(self._order)

    def get(self, key_id: str) -> RingKey:
        try:
            return self._keys[key_id]
        except KeyError:
            raise VaultError(
                f"A secret was sealed with key {key_id!r}, which the key ring no longer holds.",
                hint="restore that key into the key ring from your backup, then run "
                "'callbridge keys rotate' to re-seal everything under the current key",
            ) from None

    @staticmethod
    def generate_key(key_id: str | None = None) -> RingKey:
        return RingKey(key_id or f"k{secrets.token_hex(4)}", AESGCM.generate_key(bit_length=256))

    def with_new_primary(self, key: RingKey) -> KeyRing:
        return KeyRing([*self._keys.values(), key])

    def only(self, key_ids: Iterable[str]) -> KeyRing:
        keep = set(key_ids)
        return KeyRing([self._keys[i] for i in self._order if i in keep])

    # -- persistence -------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Parse ``'id:base64key,id:base64key'`` (the CALLBRIDGE_KEYS form)."""
        keys = []
        for entry in text.split(","):
            key_id, _, material = entry.strip().partition(":")
            keys.append(RingKey(key_id, _b64decode(material, key_id)))
        return cls(keys)

    @classmethod
    def load(cls, path: Path) -> KeyRing:
        if not path.exists():
            raise ConfigError(
                f"No key ring at {path}.",
                field="keyring_file",
                hint="run 'callbridge keys init' (and back the file up), or set CALLBRIDGE_KEYS",
            )
        try:
            data = json.loads(path.read_text())
            return cls([RingKey(k["id"], _b64decode(k["key"], k["id"])) for k in data["keys"]])
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"The key ring file {path} is not readable: {type(exc).__name__}.",
                field="keyring_file",
                hint="restore it from your backup",
            ) from None

    def save(self, path: Path) -> None:
        """Write atomically, readable by the owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": "callbridge-keyring/1",
            "keys": [
                {"id": k, "key": base64.b64encode(self._keys[k].material).decode()} for k in self._order
            ],
        }
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2)
        os.replace(tmp, path)

    def __repr__(self) -> str:
        return f"KeyRing(primary={self.primary.key_id!r}, keys={self._order})"


def _b64decode(material: str, key_id: str) -> bytes:
    try:
        return base64.b64decode(material, validate=True)
    except ValueError:
        raise ConfigError(
            f"Key {key_id!r} is not valid base64.", field="keys", hint="regenerate the key ring"
        ) from None


def _aad(kind: bytes, organization_id: str, purpose: str, name: str, key_id: str = "") -> bytes:
    return b"|".join(
        [FORMAT, kind, organization_id.encode(), purpose.encode(), name.encode(), key_id.encode()]
    )


class Vault:
    """Seal, open, list and re-seal secrets; works inside the caller's tenant session."""

    def __init__(self, keyring: KeyRing, clock: Clock) -> None:
        self.keyring = keyring
        self.clock = clock

    def put(self, session: Session, purpose: str, name: str, value: str | bytes) -> SealedSecret:
        """Store (or replace) the secret ``purpose``/``name`` of the session's tenant."""
        organization_id = _tenant(session)
        plain = value.encode() if isinstance(value, str) else value
        row = self._find(session, purpose, name)
        now = self.clock.now()
        if row is None:
            row = SealedSecret(organization_id=organization_id, purpose=purpose, name=name, created_at=now)
            session.add(row)
        row.key_id, row.wrapped_key, row.ciphertext = self._seal(organization_id, purpose, name, plain)
        row.updated_at = now
        session.flush()
        return row

    def get(self, session: Session, purpose: str, name: str) -> bytes:
        row = self._find(session, purpose, name)
        if row is None:
            raise NotFound(f"No stored {purpose} credential named {name!r}.")
        return self._open(row)

    def get_text(self, session: Session, purpose: str, name: str) -> str:
        return self.get(session, purpose, name).decode()

    def exists(self, session: Session, purpose: str, name: str) -> bool:
        return self._find(session, purpose, name) is not None

    def delete(self, session: Session, purpose: str, name: str) -> bool:
        row = self._find(session, purpose, name)
        if row is None:
            return False
        session.delete(row)
        session.flush()
        return True

    def reseal_all(self, session: Session) -> int:
        """Re-seal every secret of the session's tenant under the primary key, with new data keys."""
        count = 0
        for row in session.scalars(select(SealedSecret)):
            plain = self._open(row)
            row.key_id, row.wrapped_key, row.ciphertext = self._seal(
                row.organization_id, row.purpose, row.name, plain
            )
            row.updated_at = self.clock.now()
            count += 1
        session.flush()
        return count

    # -- crypto ------------------------------------------------------------------------------
    def _seal(self, organization_id: str, purpose: str, name: str, plain: bytes) -> tuple[str, bytes, bytes]:
        kek = self.keyring.primary
        dek = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = nonce + AESGCM(dek).encrypt(nonce, plain, _aad(b"value", organization_id, purpose, name))
        wrap_nonce = os.urandom(NONCE_BYTES)
        wrapped = wrap_nonce + AESGCM(kek.material).encrypt(
            wrap_nonce, dek, _aad(b"key", organization_id, purpose, name, kek.key_id)
        )
        return kek.key_id, wrapped, ciphertext

    def _open(self, row: SealedSecret) -> bytes:
        kek = self.keyring.get(row.key_id)
        try:
            dek = AESGCM(kek.material).decrypt(
                row.wrapped_key[:NONCE_BYTES],
                row.wrapped_key[NONCE_BYTES:],
                _aad(b"key", row.organization_id, row.purpose, row.name, kek.key_id),
            )
            return AESGCM(dek).decrypt(
                row.ciphertext[:NONCE_BYTES],
                row.ciphertext[NONCE_BYTES:],
                _aad(b"value", row.organization_id, row.purpose, row.name),
            )
        except InvalidTag:
            raise VaultError(
                f"The {row.purpose} credential {row.name!r} failed its integrity check: it was "
                "altered, moved to another row, or sealed under a different key.",
                hint="store the credential again (reconnect)",
            ) from None

    def _find(self, session: Session, purpose: str, name: str) -> SealedSecret | None:
        _tenant(session)
        return session.scalars(
            select(SealedSecret).where(SealedSecret.purpose == purpose, SealedSecret.name == name)
        ).one_or_none()


def _tenant(session: Session) -> str:
    organization_id = scope_of(session).organization_id
    if organization_id is None:
        raise VaultError("The vault is used only inside one organization's session.")
    return organization_id


def key_ids_in_use(session: Session) -> set[str]:
    return set(session.scalars(select(SealedSecret.key_id).distinct()))
