"""``callbridge keys``: the key ring that seals every stored credential."""

from __future__ import annotations

import typer
from sqlalchemy import select

from callbridge.cli.common import console, runtime, settings
from callbridge.db.models import Organization
from callbridge.errors import ConfigError
from callbridge.privacy.vault import KeyRing, Vault

app = typer.Typer(help="Key ring: create it, rotate it, see what it holds.", no_args_is_help=True)

BACKUP_NOTE = (
    "Back up {path} somewhere safe and separate from the database backups: without it, stored "
    "credentials cannot be decrypted and every connection must be made again."
)


@app.command()
def init() -> None:
    """Create a key ring file with one new key (refuses to overwrite an existing one)."""
    s = settings()
    if s.keys is not None:
        raise ConfigError(
            "CALLBRIDGE_KEYS is set: the key ring comes from the environment.",
            field="keys",
            hint="unset CALLBRIDGE_KEYS to use a key ring file",
        )
    path = s.keyring_path
    if path.exists():
        console.print(f"Key ring exists at {path}; nothing changed.")
        return
    KeyRing([KeyRing.generate_key("k1")]).save(path)
    console.print(f"[green]Created key ring[/] {path} (mode 0600).")
    console.print(BACKUP_NOTE.format(path=path))


@app.command("list")
def list_keys() -> None:
    """Show the key ids (never the keys) and which one is primary."""
    rt = runtime()
    ring = rt.vault.keyring
    for key_id in ring.key_ids:
        console.print(f"{key_id}{'  (primary)' if key_id == ring.primary.key_id else ''}")


@app.command()
def rotate(
    keep_old: bool = typer.Option(False, help="Keep the old keys in the ring after re-sealing"),
) -> None:
    """Add a new primary key, re-seal every secret under it, then drop the old keys."""
    rt = runtime()
    s = rt.settings
    if s.keys is not None:
        raise ConfigError(
            "CALLBRIDGE_KEYS is set; rotation rewrites a key ring file.",
            field="keys",
            hint="move the keys into a key ring file, or rotate by hand",
        )
    old = rt.vault.keyring
    new_key = KeyRing.generate_key()
    ring = old.with_new_primary(new_key)
    ring.save(s.keyring_path)  # saved first: a crash below leaves a ring that opens everything
    vault = Vault(ring, rt.clock)
    with rt.db.anonymous() as session:
        org_ids = list(session.scalars(select(Organization.id)))
    total = 0
    for org_id in org_ids:
        with rt.db.tenant(org_id) as session:
            total += vault.reseal_all(session)
    if not keep_old:
        ring.only([new_key.key_id]).save(s.keyring_path)
    console.print(
        f"[green]Rotated[/]: new primary {new_key.key_id}; re-sealed {total} secrets "
        f"in {len(org_ids)} organizations; {'kept' if keep_old else 'removed'} old keys "
        f"{', '.join(old.key_ids)}."
    )
    console.print(BACKUP_NOTE.format(path=s.keyring_path))
