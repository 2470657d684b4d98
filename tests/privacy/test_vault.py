"""The vault: no secret in clear anywhere in the database; rotation keeps every secret readable."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update
from typer.testing import CliRunner

from callbridge.cli.main import app as cli
from callbridge.db.models import SealedSecret
from callbridge.errors import NotFound, VaultError
from callbridge.privacy.audit import record_audit
from callbridge.privacy.vault import KeyRing, Vault
from callbridge.runtime import Runtime
from tests.factories import make_organization

SECRETS = {
    ("crm:hubspot:oauth", "access_token"): "hs-access-7f1d2c3b4a5e6f708192a3b4c5d6e7f8",
    ("crm:hubspot:oauth", "refresh_token"): "hs-refresh-0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d",
    ("crm:pipedrive:api-key", "shared"): "pd-apikey-5555aaaa6666bbbb7777cccc",
    ("crm:clio:password", "legacy"): "Corr3ct-Horse-Battery-Staple!",
    ("platform:ringcentral:jwt", "admin"): "eyJhbGciOiJSUzI1NiJ9.rc-jwt-credential-body.sig",
}


def _store_all(runtime: Runtime, org_ids: list[str]) -> None:
    for org_id in org_ids:
        with runtime.db.tenant(org_id) as s:
            for (purpose, name), value in SECRETS.items():
                runtime.vault.put(s, purpose, name, value + org_id[:4])


def _variants(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw), value.encode("utf-16-le")]


def _dump_every_column(runtime: Runtime) -> str:
    """Everything the database holds, as text: each column of each row of each table."""
    out: list[str] = []
    with runtime.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        blob = bytes(value)
                        out.append(blob.hex())
                        out.append(blob.decode("latin-1"))
                    else:
                        out.append(str(value))
    return "\n".join(out)


def _database_files(runtime: Runtime) -> bytes:
    path = Path(runtime.db.url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_no_secret_is_in_clear_anywhere_in_the_database(runtime):
    orgs = [make_organization(runtime, "alpha").id, make_organization(runtime, "bravo").id]
    _store_all(runtime, orgs)
    with runtime.db.tenant(orgs[0]) as s:  # a probe in clear proves the dump sees stored values
        record_audit(s, runtime.clock, actor="t", action="probe", object_type="x", probe="plain-probe-4711")
    dump = _dump_every_column(runtime)
    raw_files = _database_files(runtime) if runtime.db.dialect == "sqlite" else b""
    assert "plain-probe-4711" in dump
    if runtime.db.dialect == "sqlite":
        assert b"plain-probe-4711" in raw_files
    for value in SECRETS.values():
        for org_id in orgs:
            secret = value + org_id[:4]
            assert value[:12] not in dump
            for variant in _variants(secret):
                assert variant not in raw_files
                assert variant.decode("latin-1") not in dump
    with runtime.db.tenant(orgs[0]) as s:  # and they do decrypt
        assert (
            runtime.vault.get_text(s, "crm:clio:password", "legacy")
            == SECRETS[("crm:clio:password", "legacy")] + orgs[0][:4]
        )


def test_a_ciphertext_moved_to_another_tenant_does_not_open(runtime):
    a, b = make_organization(runtime, "alpha"), make_organization(runtime, "bravo")
    with runtime.db.tenant(a.id) as s:
        runtime.vault.put(s, "crm:x", "token", "alpha-secret")
    with runtime.db.tenant(b.id) as s:
        runtime.vault.put(s, "crm:x", "token", "bravo-secret")
    with runtime.db.system("test: tamper") as s:
        stolen = s.scalars(select(SealedSecret).where(SealedSecret.organization_id == a.id)).one()
        s.execute(
            update(SealedSecret)
            .where(SealedSecret.organization_id == b.id)
            .values(wrapped_key=stolen.wrapped_key, ciphertext=stolen.ciphertext, key_id=stolen.key_id)
        )
    with runtime.db.tenant(b.id) as s, pytest.raises(VaultError, match="integrity check") as caught:
        runtime.vault.get(s, "crm:x", "token")
    assert "alpha-secret" not in str(caught.value)


def test_a_secret_moved_to_another_purpose_does_not_open(runtime):
    a = make_organization(runtime, "alpha")
    with runtime.db.tenant(a.id) as s:
        row = runtime.vault.put(s, "crm:x:oauth", "refresh_token", "r-1")
        row.purpose = "crm:x:api-key"
    with runtime.db.tenant(a.id) as s, pytest.raises(VaultError):
        runtime.vault.get(s, "crm:x:api-key", "refresh_token")


def test_missing_secret_and_missing_key_are_explained(runtime):
    a = make_organization(runtime, "alpha")
    with runtime.db.tenant(a.id) as s:
        with pytest.raises(NotFound, match="No stored crm:none credential"):
            runtime.vault.get(s, "crm:none", "x")
        runtime.vault.put(s, "crm:x", "t", "v")
    stranger = Vault(KeyRing([KeyRing.generate_key("other")]), runtime.clock)
    with runtime.db.tenant(a.id) as s, pytest.raises(VaultError, match="no longer holds") as caught:
        stranger.get(s, "crm:x", "t")
    assert "restore that key" in (caught.value.hint or "")


def test_keys_rotate_with_old_key_removed_keeps_every_secret_readable(backend, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    settings = backend.settings(data_dir=data_dir, keys=None)
    monkeypatch.setenv("CALLBRIDGE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CALLBRIDGE_DATABASE_URL", backend.database_url)
    monkeypatch.setenv("CALLBRIDGE_JOBS_URL", backend.jobs_url)
    monkeypatch.setenv("CALLBRIDGE_JOBS_NAME", backend.jobs_name)
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "init"]).exit_code == 0
    old_ring = KeyRing.load(settings.keyring_path)
    runtime = Runtime(settings)
    try:
        orgs = [make_organization(runtime, "alpha").id, make_organization(runtime, "bravo").id]
        _store_all(runtime, orgs)
        result = runner.invoke(cli, ["keys", "rotate"])
        assert result.exit_code == 0, result.output
        assert "re-sealed 10 secrets" in result.output
        new_ring = KeyRing.load(settings.keyring_path)
        assert set(new_ring.key_ids).isdisjoint(old_ring.key_ids), "the old key must be gone"
        fresh = Vault(new_ring, runtime.clock)
        for org_id in orgs:
            with runtime.db.tenant(org_id) as s:
                for (purpose, name), value in SECRETS.items():
                    assert fresh.get_text(s, purpose, name) == value + org_id[:4]
                assert {r.key_id for r in s.scalars(select(SealedSecret))} == {new_ring.primary.key_id}
    finally:
        from tests.conftest import empty_all_tables

        empty_all_tables(runtime)
        runtime.close()


def test_key_ring_file_is_private_and_repr_hides_keys(tmp_path):
    ring = KeyRing([KeyRing.generate_key("k1")])
    path = tmp_path / "ring.json"
    ring.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert base64.b64encode(ring.primary.material).decode() not in repr(ring) + repr(ring.primary)


@pytest.mark.parametrize(
    ("text_value", "message"),
    [
        ("k1:AAAA", "is 3 bytes; keys are 32 bytes"),
        ("k1:not-base64!", "not valid base64"),
        ("k1:" + "A" * 44 + ",k1:" + "A" * 44, "repeats"),
    ],
)
def test_a_broken_key_ring_is_explained(text_value, message):
    from callbridge.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        KeyRing.parse(text_value)
